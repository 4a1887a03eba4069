"""Knowledge base room: staff-edited articles, retrieval and cited answers (not built yet)."""
