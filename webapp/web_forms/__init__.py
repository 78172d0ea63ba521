"""Web forms: what a form shows (``fields``), how a POST becomes an item or a survey answer
(``submission``), and the rules for building forms (``rules``)."""
