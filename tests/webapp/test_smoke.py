"""The app starts on each backend, is migrated, and answers health and login."""

from tests.factories import ApiClient


def test_health_reports_database(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json()["database"]["ok"] is True


def test_agent_lists_only_team_tickets(client, make):
    team = make.team()
    agent = make.user("Agent", teams=[team])
    mine = make.project(teams=[team])
    other = make.project(teams=[make.team()])
    seen = make.item(mine)
    hidden = make.item(other)
    api = ApiClient(client, agent.username)
    ids = api.get("/api/v1/ticket/").get_json()["ids"]
    assert seen.id in ids and hidden.id not in ids
    assert api.get(f"/api/v1/ticket/{hidden.id}").status_code == 404
