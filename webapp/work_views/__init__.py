"""Views that show the work (board, Gantt, calendar, tree, list, dashboard): the one filter
set they share, keyset paging, and their pages and data endpoints."""
