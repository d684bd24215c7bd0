"""Exporting events in the background, with a progress dialog that can cancel.

:func:`ask_export_path` asks where to export and in which format: the extension typed decides,
the dialog's filter follows the name as it is typed, and an unknown extension asks.
:func:`run_export` starts the work as an asyncio task on the app's loop and returns at once; the
dialog is not modal (a modal ``QProgressDialog`` would spin a nested event loop on every update),
and cancelling it stops the task and leaves no file.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractButton,
    QFileDialog,
    QLineEdit,
    QMessageBox,
    QProgressDialog,
    QWidget,
)

from workbench.client.errors import ClientError
from workbench.client.records import EventRow
from workbench.models.event_export import ExportCancelled, ExportFormat, export_events

log = logging.getLogger(__name__)
SourceFactory = Callable[[], AsyncIterator[EventRow]]
SHOW_AFTER_MS = 400
"""Exports that finish sooner never show the dialog."""
_INT_MAX = 2**31 - 1
_running: set[QtExportJob] = set()  # the loop holds tasks weakly; running jobs are kept here


class QtExportJob(QObject):
    """One export in progress; ends with exactly one of finished, failed or cancelled."""

    progress = Signal(int)  # events written so far
    finished = Signal(int)  # events written; the file is in place
    failed = Signal(str)  # why; no file was written
    cancelled = Signal()  # no file was written

    def __init__(
        self,
        path: Path,
        fmt: ExportFormat,
        total: int | None,
        parent: QWidget | None = None,
        show_progress: bool = True,
    ) -> None:
        super().__init__(parent)
        self.path = path
        self.format = fmt
        self.total = total
        self.count = 0
        self.done = False
        self._cancel_requested = False
        self._task: asyncio.Task[int] | None = None
        self.dialog: QProgressDialog | None = None
        if show_progress:
            self.dialog = _progress_dialog(parent, path, total)
            self.dialog.canceled.connect(self.cancel)
        self._show_messages = show_progress
        self._parent_widget = parent

    def start(self, source: SourceFactory) -> None:
        """Start writing what ``source()`` yields."""
        work = export_events(
            source(), self.path, self.format, self._on_progress, lambda: self._cancel_requested
        )
        self._task = asyncio.ensure_future(work)
        _running.add(self)
        self._task.add_done_callback(self._on_done)

    def cancel(self) -> None:
        """Stop the export; nothing is written."""
        if self.done:
            return
        self._cancel_requested = True
        if self._task is not None:
            self._task.cancel()

    def _on_progress(self, count: int) -> None:
        self.count = count
        if self.dialog is not None:
            self.dialog.setLabelText(_label(self.path, count, self.total))
            if self.total:
                self.dialog.setValue(min(count, self.dialog.maximum()))
        self.progress.emit(count)

    def _on_done(self, task: asyncio.Task[int]) -> None:
        _running.discard(self)
        self.done = True
        if self.dialog is not None:
            self.dialog.canceled.disconnect(self.cancel)
            self.dialog.close()
            self.dialog.deleteLater()
            self.dialog = None
        exc = None if task.cancelled() else task.exception()
        if task.cancelled() or isinstance(exc, ExportCancelled):
            self.cancelled.emit()
        elif exc is not None:
            if not isinstance(exc, (OSError, ClientError)):
                log.error("export to %s failed", self.path, exc_info=exc)
            message = _failure(self.path, exc)
            if self._show_messages:
                _warn(self._parent_widget, message)
            self.failed.emit(message)
        else:
            self.count = task.result()
            self.finished.emit(self.count)


def run_export(
    parent: QWidget | None,
    source: SourceFactory,
    path: Path | str,
    fmt: ExportFormat,
    total: int | None,
    show_progress: bool = True,
) -> QtExportJob:
    """Export what ``source()`` yields to ``path`` in the background.

    Args:
        parent: the widget the progress dialog belongs to.
        source: makes the async iterator of events (called once, when the export starts).
        path: the file to write (replaced only when the export completes).
        fmt: JSON Lines or CSV.
        total: how many events to expect, for the progress bar (None: unknown).
        show_progress: False runs without any dialog (for scripts and tests).
    """
    job = QtExportJob(Path(path), fmt, total, parent, show_progress)
    job.start(source)
    return job


def ask_export_path(
    parent: QWidget,
    title: str,
    folder: Path,
    file_name: str,
    chosen: Callable[[Path, ExportFormat], object],
) -> QFileDialog:
    """Open a save dialog for an export; call ``chosen(path, format)`` once the user has decided.

    The format is the one the file name's extension names (``orders.csv`` is CSV whichever
    filter is selected); the filter follows the name as it is typed; a name without an
    extension gets the selected filter's; any other extension asks which format to write.

    Args:
        parent: the widget the dialog belongs to.
        title: the dialog's title.
        folder: where the dialog opens.
        file_name: the name it suggests (its extension picks the initial filter).
        chosen: called with the path and format, unless the user cancels.
    """
    dialog = QFileDialog(parent, title, str(folder))
    # Qt's own dialog: native ones differ per platform in whether they add the selected
    # filter's suffix to a typed name, and cannot tell us the name while it is being typed.
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setFileMode(QFileDialog.FileMode.AnyFile)
    dialog.setNameFilters([fmt.name_filter for fmt in ExportFormat])
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def follow(fmt: ExportFormat | None) -> None:
        if fmt is not None:
            dialog.setDefaultSuffix(fmt.suffix)
            if dialog.selectedNameFilter() != fmt.name_filter:
                dialog.selectNameFilter(fmt.name_filter)

    follow(ExportFormat.for_path(file_name) or ExportFormat.JSONL)
    dialog.selectFile(file_name)
    name_edit = dialog.findChild(QLineEdit, "fileNameEdit")
    if name_edit is not None:
        name_edit.textEdited.connect(lambda text: follow(ExportFormat.for_path(text)))
    dialog.filterSelected.connect(
        lambda text: follow(next((f for f in ExportFormat if f.name_filter == text), None))
    )

    def selected(path: str) -> None:
        fmt = ExportFormat.for_path(path)
        if fmt is not None:
            chosen(Path(path), fmt)
        else:
            _ask_format(parent, Path(path), chosen)

    dialog.fileSelected.connect(selected)
    dialog.open()
    return dialog


def _ask_format(
    parent: QWidget, path: Path, chosen: Callable[[Path, ExportFormat], object]
) -> QMessageBox:
    names = " or ".join("." + fmt.suffix for fmt in ExportFormat)
    box = QMessageBox(
        QMessageBox.Icon.Question,
        "Export format",
        f"{path.name} does not end in {names}. Write it as:",
        parent=parent,
    )
    buttons: dict[QAbstractButton, ExportFormat] = {
        box.addButton(fmt.label, QMessageBox.ButtonRole.AcceptRole): fmt for fmt in ExportFormat
    }
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def clicked(button: QAbstractButton) -> None:
        fmt = buttons.get(button)
        if fmt is not None:
            chosen(path, fmt)

    box.buttonClicked.connect(clicked)
    box.open()
    return box


def _progress_dialog(parent: QWidget | None, path: Path, total: int | None) -> QProgressDialog:
    maximum = min(total, _INT_MAX) if total else 0  # 0..0 is a busy indicator
    dialog = QProgressDialog(_label(path, 0, total), "Cancel", 0, maximum, parent)
    dialog.setWindowTitle("Exporting events")
    dialog.setWindowModality(Qt.WindowModality.NonModal)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    dialog.setMinimumDuration(SHOW_AFTER_MS)
    dialog.setMinimumWidth(dialog.fontMetrics().averageCharWidth() * 60)
    dialog.setValue(0)
    return dialog


def _label(path: Path, count: int, total: int | None) -> str:
    of = f" of {total:,}" if total else ""
    return f"Exporting to {path.name}…\n{count:,}{of} events written"


def _failure(path: Path, exc: BaseException) -> str:
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc)
        return f"Cannot write {path}: {reason}. Choose another folder or free some space."
    if isinstance(exc, ClientError):
        return f"Export to {path.name} stopped: {exc}. No file was written."
    return f"Export to {path.name} failed: {exc or type(exc).__name__}. No file was written."


def _warn(parent: QWidget | None, message: str) -> None:
    box = QMessageBox(QMessageBox.Icon.Warning, "Export failed", message, parent=parent)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
