"""Qt-free state and policy of the workbench: event pages, the live-tail policy, chart series,
profiles, saved queries, export, sample data, event templates. No PySide6, pyqtgraph or qasync
here, directly or indirectly: every module is tested without Qt."""
