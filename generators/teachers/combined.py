"""Several teachers as one: what `make_teacher` builds when `teacher.kind` is a list (`[builtin, inductor]`).

`generate_batch` asks every teacher for the whole batch (an endpoint teacher still sends its requests
concurrently) and returns each spec's rows teacher by teacher, in list order, specs in batch order. Its
`refine_batch` sends each request to the listed teacher that wrote the parent when that one can refine,
else to the first listed teacher that can (the builtin teacher answers another teacher's parent with a
fresh variant); the answers come back in request order. It can refine when any listed teacher can. Its
counters (`take_stats`) are its teachers' added up, and the rows of a call that could not be made
(`failed_rows`) are each teacher's, in list order.
"""

from __future__ import annotations

from collections.abc import Sequence

from generators.teachers.base import RefineRequest, Teacher


class CombinedTeacher(Teacher):
    def __init__(self, teachers: Sequence[Teacher]) -> None:
        if not teachers:
            raise ValueError("a combined teacher needs at least one teacher")
        self.teachers = list(teachers)
        self.name = "+".join(teacher.name for teacher in self.teachers)

    @property
    def can_refine(self) -> bool:
        return any(teacher.can_refine for teacher in self.teachers)

    def check_device(self) -> None:
        for teacher in self.teachers:
            teacher.check_device()

    def generate_batch(self, spec_rows: Sequence[dict]) -> list[dict]:
        answers = [_by_spec(teacher.generate_batch(spec_rows)) for teacher in self.teachers]
        spec_ids = dict.fromkeys(row["spec_id"] for row in spec_rows)
        return [row for spec_id in spec_ids for rows in answers for row in rows.get(spec_id, ())]

    def refine_batch(self, requests: Sequence[RefineRequest]) -> list[dict]:
        refiners = [teacher for teacher in self.teachers if teacher.can_refine]
        if not refiners:
            raise NotImplementedError(f"none of the teachers {self.name} can refine candidates")
        by_name = {teacher.name: teacher for teacher in refiners}
        routed: dict[str, list[int]] = {}
        for index, request in enumerate(requests):
            teacher = by_name.get(request.parent["teacher"], refiners[0])
            routed.setdefault(teacher.name, []).append(index)
        answers: dict[int, list[dict]] = {}
        for name, indices in routed.items():
            parents = {requests[i].parent["candidate_id"]: i for i in indices}
            for row in by_name[name].refine_batch([requests[i] for i in indices]):
                answers.setdefault(parents.get(row["parent_id"], indices[-1]), []).append(row)
        return [row for index in range(len(requests)) for row in answers.get(index, ())]

    def take_stats(self) -> dict[str, int]:
        """Every listed teacher's counters, added up."""
        total: dict[str, int] = {}
        for teacher in self.teachers:
            for key, value in teacher.take_stats().items():
                total[key] = total.get(key, 0) + value
        return total

    def failed_rows(self, spec_rows: Sequence[dict], error: str, detail: str) -> list[dict]:
        """Each spec's rows of every listed teacher, in list order, as `generate_batch` would give them."""
        answers = [_by_spec(teacher.failed_rows(spec_rows, error, detail)) for teacher in self.teachers]
        spec_ids = dict.fromkeys(row["spec_id"] for row in spec_rows)
        return [row for spec_id in spec_ids for rows in answers for row in rows.get(spec_id, ())]

    def failed_refinements(self, requests: Sequence[RefineRequest], error: str, detail: str) -> list[dict]:
        """Rows from the teacher each request would have gone to (see `refine_batch`)."""
        refiners = [teacher for teacher in self.teachers if teacher.can_refine] or self.teachers[:1]
        by_name = {teacher.name: teacher for teacher in refiners}
        return [row for request in requests
                for row in by_name.get(request.parent["teacher"], refiners[0]).failed_refinements([request], error,
                                                                                                  detail)]

    def close(self) -> None:
        for teacher in self.teachers:
            teacher.close()


def _by_spec(rows: list[dict]) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for row in rows:
        grouped.setdefault(row["spec_id"], []).append(row)
    return grouped
