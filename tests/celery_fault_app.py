"""The platform's Celery app plus one task that can be made to stop half way, for tests/test_celery_faults.py.

Workers started with `celery -A tests.celery_fault_app` run every real task of the platform and
`tests.fault_sweep`: the real deadline sweep which, on its first delivery, stops after a given number of
reminders and waits to be killed. With FAULT_BEAT_INTERVAL set, beat sends the real sweep that often.
"""

import os
import time

from iecq.celery import app

if os.environ.get("FAULT_BEAT_INTERVAL"):
    app.conf.task_always_eager = False  # the test settings run tasks in-process; beat must send them
    app.conf.beat_schedule = {
        "deadline-sweep": {"task": "iecq.tasks.deadline_sweep", "schedule": float(os.environ["FAULT_BEAT_INTERVAL"])}
    }


@app.task(name="tests.fault_sweep", acks_late=True)
def fault_sweep(*, pause_after: int, marker: str) -> dict:
    """The deadline sweep; on its first delivery (no `marker` file yet) it stops after `pause_after` reminders."""
    from iecq import scheduler

    first_delivery = not os.path.exists(marker)
    if first_delivery:
        with open(marker, "w") as out:
            out.write(str(os.getpid()))
    real_send = scheduler.send_reminder
    sent = 0

    def send_then_maybe_stop(deadline, step, user):
        nonlocal sent
        done = real_send(deadline, step, user)
        sent += done
        if first_delivery and sent == pause_after:
            with open(marker + ".paused", "w") as out:  # the test kills this process, or releases it
                out.write(str(os.getpid()))
            deadline = time.monotonic() + 120
            while not os.path.exists(marker + ".release") and time.monotonic() < deadline:
                time.sleep(0.1)
        return done

    scheduler.send_reminder = send_then_maybe_stop
    try:
        report = scheduler.sweep()
    finally:
        scheduler.send_reminder = real_send
    return {"sent": report.reminders_sent, "already_sent": report.reminders_already_sent, "pid": os.getpid()}
