"""NLU room: text -> language, intent, entities. Imports nothing else of ours."""
