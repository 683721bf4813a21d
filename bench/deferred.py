"""What the bulk-copy benches share: running the copies a provider's limit deferred the way a worker would, each when
due (the simulated clock jumps there). Their invoices come from tests.factories.invoices_for_new_clients."""

from __future__ import annotations

import ast
import datetime

MAX_DRAIN = 5000  # deferred task runs at most (a bench that never ends measures nothing)
COPY_TASKS = (
    "integrations.tasks.invoice_copy_task",
    "integrations.tasks.invoice_copy_batch_task",
    "integrations.tasks_documents.document_export_batch_task",
)


def drain(traveller) -> int:
    """Run the deferred copies, each when due; returns how many ran."""
    from django_q.models import Schedule

    from integrations import tasks, tasks_documents

    modules = {"integrations.tasks": tasks, "integrations.tasks_documents": tasks_documents}
    runs = 0
    while runs < MAX_DRAIN:
        entry = Schedule.objects.filter(func__in=COPY_TASKS).order_by("next_run", "id").first()
        if entry is None:
            return runs
        traveller.move_to(max(entry.next_run, datetime.datetime.now(datetime.UTC)))
        args = ast.literal_eval(entry.args)
        entry.delete()
        module, name = entry.func.rsplit(".", 1)
        getattr(modules[module], name)(*(args if isinstance(args, tuple) else (args,)))
        runs += 1
    raise RuntimeError(f"still deferring after {MAX_DRAIN} runs")
