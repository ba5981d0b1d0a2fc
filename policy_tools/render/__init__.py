"""Rendering, the last stage: change reports (HTML, Markdown, JSON), the executable
criteria module, and the text views of the CLI, all through one Jinja environment."""
