"""The pure core: clinical rules and record shapes, with no database, web, I/O or clock."""
