"""What the terminal shows while a build works: progress bars where someone watches, and the warnings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.markup import escape

from .errors import InputError
from .terminal import stderr

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID


class Warnings:
    """Warnings about skipped input: printed as they come, or with ``--strict`` kept, and every one of them
    reported as an error once the input is read (``check``), so one run shows every problem."""

    def __init__(self, strict: bool) -> None:
        self.strict = strict
        self.problems: list[str] = []

    def warn(self, message: str) -> None:
        if self.strict:
            self.problems.append(message)  # from any thread that reads: list.append holds the GIL
        else:
            stderr.print(f"honeycast: warning: {message}", markup=False, soft_wrap=True)

    def check(self) -> None:
        if self.problems:
            raise InputError("\nhoneycast: error: ".join(f"{problem} (--strict)" for problem in self.problems))


class WarningReporter(Warnings):
    """No progress; warnings on stderr."""

    def stage(self, name: str, total: int | None = None) -> None:
        pass

    def advance(self, amount: int = 1) -> None:
        pass


class RichReporter(Warnings):
    """Progress bars on stderr, one task per stage, warnings above them."""

    def __init__(self, progress: Progress, strict: bool) -> None:
        super().__init__(strict)
        self.progress = progress
        self.task: TaskID | None = None

    def stage(self, name: str, total: int | None = None) -> None:
        self._finish()
        self.task = self.progress.add_task(escape(name), total=total)  # file names are text, not markup

    def _finish(self) -> None:
        """Close an open-ended stage (reading has no known total) so its bar stops pulsing."""
        if self.task is not None:
            task = self.progress.tasks[-1]
            if task.total is None:
                self.progress.update(task.id, total=task.completed)

    def advance(self, amount: int = 1) -> None:
        if self.task is not None:
            self.progress.advance(self.task, amount)
