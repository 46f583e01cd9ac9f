"""PDF reports, rendered by WeasyPrint from Jinja templates that share the pages' look."""
