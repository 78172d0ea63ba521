"""A refused write reads as words where a screen flashes it (FAB shows str(exc))."""

from __future__ import annotations

from webapp.commands.errors import Invalid


def test_an_invalid_write_reads_as_words() -> None:
    error = Invalid({"status": ["is not a status of type 'Milestone' (allowed: Planned)"],
                     "_schema": ["this change would put the record out of your own reach"],
                     "custom_values": {"shirt_size": ["not one of S, M, L"]}})
    assert str(error) == ("Status: is not a status of type 'Milestone' (allowed: Planned); "
                          "this change would put the record out of your own reach; "
                          "Custom values: Shirt size: not one of S, M, L")
    assert error.messages["status"]  # the API still answers the field messages themselves
    assert str(Invalid("as it was")) == "as it was"
