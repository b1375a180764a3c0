"""What an in-process function prints goes to its CloudWatch Logs group, as on Lambda.

On AWS every function's stdout lands in ``/aws/lambda/<name>``; locally all functions share
one process and one ``sys.stdout``. ``sys.stdout`` is replaced by a thread-aware stream:
text written by the thread running an invocation is collected and, when the invocation
ends, put into moto's CloudWatch Logs (one stream per invocation, with the runtime's
START/END/REPORT lines), and echoed to the terminal only when asked (``rollout local up``).
Text from any other thread goes to the real stdout untouched. The log of an invocation that
raised is kept too, as on Lambda.

The EMF documents among those lines (Powertools ``Metrics``) become CloudWatch metrics, as
CloudWatch Logs extracts them from a Lambda log group (``rollout_local.emf``): one datum per
metric and dimension set, put as ``PutMetricData`` would. A malformed document is dropped
with a warning; it never fails the invocation.
"""

from __future__ import annotations

import io
import logging
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from rollout_local import accounts, emf
from rollout_local.extensions.backends import put_log_lines, put_metric_data

logger = logging.getLogger(__name__)


class InvocationOutput(io.TextIOBase):
    """``sys.stdout`` that collects the writes of threads inside ``capture()``."""

    def __init__(self, base: TextIO) -> None:
        self.base = base
        self.echo = False
        self._local = threading.local()

    def write(self, text: str) -> int:
        buffer: list[str] | None = getattr(self._local, "buffer", None)
        if buffer is None:
            return self.target().write(text)
        buffer.append(text)
        return len(text)

    def target(self) -> TextIO:
        """Where text from outside invocations goes: the stdout this stream wraps (the
        process's own once that one is closed, e.g. a test's capture that ended)."""
        if getattr(self.base, "closed", False) and sys.__stdout__ is not None:
            return sys.__stdout__
        return self.base

    def flush(self) -> None:
        self.target().flush()

    def isatty(self) -> bool:
        return self.target().isatty()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.base, "encoding", "utf-8")

    @contextmanager
    def capture(self) -> Iterator[list[str]]:
        outer = getattr(self._local, "buffer", None)
        buffer: list[str] = []
        self._local.buffer = buffer
        try:
            yield buffer
        finally:
            self._local.buffer = outer


_output: InvocationOutput | None = None


def install() -> InvocationOutput:
    """Make ``sys.stdout`` invocation-aware. One stream for the life of the process: a
    logging handler created while an earlier stack ran keeps writing to it."""
    global _output
    if isinstance(sys.stdout, InvocationOutput):
        return sys.stdout
    if _output is None:
        _output = InvocationOutput(sys.stdout)
    else:
        _output.base = sys.stdout
    sys.stdout = _output
    _adopt_stdout_handlers(_output)
    return _output


def _adopt_stdout_handlers(output: InvocationOutput) -> None:
    """On Lambda a function's stdout is its log. In this process, a logging handler keeps
    the stream it was created with: the stdout of that moment, which a test's capture may
    have replaced, or an earlier stack's. Point every plain stream handler that does not
    write to stderr at the invocation-aware stream (Powertools keeps the first handler of a
    service for the life of the process)."""
    stderr = (sys.stderr, sys.__stderr__)
    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    for logger in loggers:
        for handler in getattr(logger, "handlers", []):
            if type(handler) is not logging.StreamHandler:  # files, pytest's caplog
                continue
            stream = handler.stream
            if stream is not output and all(stream is not err for err in stderr):
                handler.stream = output


def _claim_stdout(output: InvocationOutput) -> None:
    """A handler's ``print`` (Powertools' EMF lines) writes to ``sys.stdout`` as it is now:
    something may have replaced the invocation-aware stream since ``install`` (a test's
    output capture does at each test). Wrap what is there now."""
    current = sys.stdout
    if current is not output and not isinstance(current, InvocationOutput):
        output.base = current
        sys.stdout = output


def adopt_handlers() -> None:
    """Before each invocation: every logger writes to the function's log (see above)."""
    if _output is not None:
        _adopt_stdout_handlers(_output)


def uninstall() -> None:
    if isinstance(sys.stdout, InvocationOutput):
        sys.stdout = sys.stdout.base


@contextmanager
def invocation(context: Any, started: float | None = None) -> Iterator[None]:
    """Collect what the current thread prints during one invocation into its log stream."""
    output = _output  # not sys.stdout: something (a test's capture) may have replaced it
    if output is None:
        yield
        return
    began = time.time() if started is None else started
    _claim_stdout(output)
    buffer: list[str] = []
    try:
        with output.capture() as buffer:
            yield
    finally:  # also when the handler raised: a failed invocation's log is in CloudWatch Logs
        lines = "".join(buffer).splitlines()
        _record(context, lines, began)
        if output.echo:
            output.target().write("".join(line + "\n" for line in lines))


def _record(context: Any, printed: list[str], began: float) -> None:
    """The invocation's log stream (START, what it printed, END, REPORT) and its metrics."""
    elapsed_ms = (time.time() - began) * 1000
    request = context.aws_request_id
    lines = [f"START RequestId: {request} Version: {context.function_version}"]
    lines += printed
    lines += [
        f"END RequestId: {request}",
        f"REPORT RequestId: {request}\tDuration: {elapsed_ms:.2f} ms\t"
        f"Memory Size: {context.memory_limit_in_mb} MB",
    ]
    _put(context.log_group_name, context.log_stream_name, lines, began)
    for namespace, metric_data in emf.by_namespace(emf.extract(printed)).items():
        try:
            put_metric_data(namespace, metric_data, account_id=_account())
        except Exception:  # the metrics of a log line never fail the invocation
            logger.warning("EMF metrics of %s not put", context.log_group_name, exc_info=True)


def _put(group: str, stream: str, lines: list[str], began: float) -> None:
    stamp = int(began * 1000)
    events = [{"timestamp": stamp, "message": line} for line in lines if line]
    put_log_lines(group, stream, events, account_id=_account())


def _account() -> str:
    """The account of the running invocation (its function's; ``lambda_runtime.run``)."""
    return accounts.current() or accounts.DEFAULT_ACCOUNT_ID
