"""Admin room: the HTTP app and the `alytus` command line; sits on top of every room."""
