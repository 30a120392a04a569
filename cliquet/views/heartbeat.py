"""``__heartbeat__`` (asks every backend) and ``__lbheartbeat__`` (asks nothing)."""
from concurrent.futures import ThreadPoolExecutor, TimeoutError as FuturesTimeout

import transaction
from pyramid.security import NO_PERMISSION_REQUIRED

from cliquet._service import Service
from cliquet.logs import logger

heartbeat = Service(name="heartbeat", path="/__heartbeat__",
                    description="Server health")
lbheartbeat = Service(name="lbheartbeat", path="/__lbheartbeat__",
                      description="Web head health")


def _run_check(check, request):
    # Each check runs in its own thread, hence its own transaction.
    with transaction.manager:
        return check(request)


@heartbeat.get(permission=NO_PERMISSION_REQUIRED)
def get_heartbeat(request):
    """``{check name: true|false|null}``; 503 when any check answers false.

    Checks run in parallel, each bounded by ``heartbeat_timeout_seconds``
    (a check that does not answer in time counts as false).
    """
    checks = request.registry.heartbeats
    timeout = float(request.registry.settings["heartbeat_timeout_seconds"])
    status = {}
    if checks:
        executor = ThreadPoolExecutor(max_workers=len(checks))
        try:
            futures = {name: executor.submit(_run_check, check, request)
                       for name, check in checks.items()}
            for name, future in futures.items():
                try:
                    status[name] = future.result(timeout=timeout)
                except FuturesTimeout:
                    logger.error("Heartbeat timeout", check=name, timeout=timeout)
                    status[name] = False
                except Exception:
                    logger.error("Heartbeat failure", check=name, exc_info=True)
                    status[name] = False
        finally:
            executor.shutdown(wait=False, cancel_futures=True)
    if any(value is False for value in status.values()):
        request.response.status = 503
    return status


@lbheartbeat.get(permission=NO_PERMISSION_REQUIRED)
def get_lbheartbeat(request):
    """Always ``{}``: the process answers."""
    return {}
