"""The case workers' page: a Jinja2 shell, a stylesheet and a small script over the JSON API."""
