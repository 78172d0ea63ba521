# Shared by scripts/backup and scripts/restore (sourced, not run).

# A SQLAlchemy URL (postgresql+psycopg2://…) as libpq takes it (postgresql://…).
libpq_url() {
    case "$1" in
        postgresql://*|postgres://*) printf '%s' "$1" ;;
        postgresql+*://*) printf 'postgresql://%s' "${1#*://}" ;;
        *) echo "DATABASE_URL is not PostgreSQL (an SQLite installation: stop its processes" \
                "and copy its data folder)" >&2; return 1 ;;
    esac
}

# docker compose for the installation in the current folder.
dc() { docker compose --project-directory "$PWD" "$@"; }
