"""Terminal outcomes of waiting on a Fireant job that are not success."""

from fireant.models import JobStatusReport


class FireantJobFailed(RuntimeError):
    """Fireant reported the job ``Failed``."""

    def __init__(self, report: JobStatusReport) -> None:
        self.report = report
        super().__init__(
            f"Fireant job {report.job_id} failed: {report.error or 'Fireant gave no reason'}"
        )


class PollAttemptsExhausted(TimeoutError):
    """The job was still not Finished or Failed after every poll attempt."""

    def __init__(
        self, job_id: str, attempts: int, interval_seconds: float, last: JobStatusReport
    ) -> None:
        self.job_id = job_id
        self.attempts = attempts
        self.last = last
        super().__init__(
            f"Fireant job {job_id} timed out after {attempts} attempts "
            f"({interval_seconds:g}s apart; last status {last.raw_status or last.status}); "
            "raise MAX_POLL_ATTEMPTS or POLL_INTERVAL_SECONDS if such jobs are expected to take longer"
        )
