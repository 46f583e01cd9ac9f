"""The HTML pages: server-rendered Jinja2 with htmx, every form usable without JavaScript."""
