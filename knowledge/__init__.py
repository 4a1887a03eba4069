"""Knowledge base: municipal articles staff edit, and cited answers to members' questions.

SQL holds the truth (articles, revisions, the unanswered inbox: `knowledge.models`); loaders
turn Markdown, HTML, PDF and DOCX into articles (`importer`); the Chroma vector index and the
BM25 lexical index are derived from published articles and rebuilt at will (`index`);
`retrieval` fuses the two, and `answers.answer_question` returns an extractive (or, when
configured, LLM-written) answer with its sources, or says it does not know. This room uses
only `community`; the bots render its `Answer` into messages and send any notification.
"""
