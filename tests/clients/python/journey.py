#!/usr/bin/env python3
"""A learner's journey through the Python client generated from the served OpenAPI document.

    BASE_URL=http://127.0.0.1:8000 PYTHONPATH=<dir holding companion_client> python journey.py

`companion_client` is generated at run time by openapi-python-client (scripts/check-clients.sh,
config in openapi-python-client.yaml); nothing here speaks HTTP itself: every request is one of
the generated operation functions, every response one of the generated models. Each step
asserts on the content of the response, not only on its status.
"""

from __future__ import annotations

import datetime
import hashlib
import math
import os
import sys
import traceback
import uuid
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from companion_client import AuthenticatedClient, Client
from companion_client.api.auth import register
from companion_client.api.chapters import get_chapter, list_chapters
from companion_client.api.progress import get_progress, get_streak, record_checkin, update_progress
from companion_client.api.quizzes import get_quiz, get_quiz_results, list_quizzes, submit_quiz
from companion_client.api.review import answer_review, get_next_step, get_review_queue
from companion_client.models import ProgressUpdate, RegisterRequest, ReviewRequest, SubmitRequest
from companion_client.types import Response, Unset

BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:8000").rstrip("/")
PASSWORD = "correct horse 1"
FREE_CHAPTERS = 3


class JourneyError(AssertionError):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise JourneyError(message)


def value(field: Any) -> Any:
    """A model field, with Unset (absent from the JSON) read as None."""
    return None if isinstance(field, Unset) else field


def text(field: Any) -> str | None:
    """Enums, UUIDs and dates as the plain strings of the JSON."""
    field = value(field)
    if field is None:
        return None
    return str(getattr(field, "value", field))


def expect(step: str, call: Callable[[], Response[Any]], status: HTTPStatus) -> Any:
    """Makes the call and returns the parsed body of its response, which must have `status`."""
    try:
        response = call()
    except (TypeError, ValueError, KeyError, AttributeError) as error:
        # The generated models could not read what the server sent: the document says
        # something else (a missing `nullable`, a wrong type, an undeclared shape).
        raise JourneyError(
            f"{step}: the generated client cannot parse the response: "
            f"{type(error).__name__}: {error}\n{traceback.format_exc(limit=-2)}"
        ) from error
    body = response.content.decode("utf-8", "replace")[:600]
    check(
        response.status_code == status,
        f"{step}: expected {status.value}, got {response.status_code.value}: {body}",
    )
    check(
        response.parsed is not None,
        f"{step}: the generated client did not parse the {status.value} response (the document "
        f"does not declare this status for the operation, or declares no schema): {body}",
    )
    print(f"ok  {step} -> {status.value}")
    return response.parsed


def answer_for(question: Any) -> str | list[str]:
    """A rule from the question's kind; correctness does not matter."""
    kind = text(question.kind)
    keys = [option.key for option in question.options]
    if kind == "true_false":
        check(keys == [], f"true_false question {question.id} has options {keys}")
        return "true"
    check(keys, f"{kind} question {question.id} has no options")
    if kind == "single_choice":
        return keys[0]
    if kind == "multiple_choice":
        return keys[:2]
    raise JourneyError(f"question {question.id}: unknown kind {kind!r}")


def as_keys(answer: Any) -> list[str]:
    """A graded answer (string or array) as upper-case keys, for comparison."""
    answer = value(answer)
    if answer is None:
        return []
    if isinstance(answer, str):
        return [answer.upper()]
    if isinstance(answer, list):
        return sorted(str(item).upper() for item in answer)
    raise JourneyError(f"answer value {answer!r} is neither a string nor an array")


def main() -> None:
    today = datetime.datetime.now(datetime.UTC).date()
    email = f"py-journey-{uuid.uuid4().hex[:12]}@example.com"

    # 1. Register: 201 with a bearer token, a free-tier student.
    anonymous = Client(base_url=BASE_URL, raise_on_unexpected_status=False)
    session = expect(
        "register",
        lambda: register.sync_detailed(
            client=anonymous,
            body=RegisterRequest(email=email, password=PASSWORD, name="Py Journey", timezone="UTC"),
        ),
        HTTPStatus.CREATED,
    )
    check(len(session.access_token) > 20, "register: empty access_token")
    check(session.token_type.lower() == "bearer", f"register: token_type {session.token_type!r}")
    check(session.expires_in > 0, f"register: expires_in {session.expires_in}")
    check(session.user.email == email, f"register: user.email {session.user.email!r}")
    check(text(session.user.tier) == "free", f"register: tier {text(session.user.tier)!r}")
    check(text(session.user.role) == "student", f"register: role {text(session.user.role)!r}")
    user_id = text(session.user.id)

    client = AuthenticatedClient(
        base_url=BASE_URL, token=session.access_token, raise_on_unexpected_status=False
    )

    # 2. The outline: every chapter in order, 1-3 open, 4+ locked for a free learner.
    outline = expect("listChapters", lambda: list_chapters.sync_detailed(client=client), HTTPStatus.OK)
    chapters = outline.items
    check(outline.total == len(chapters) >= 4, f"listChapters: total {outline.total}")
    check(
        [c.order for c in chapters] == list(range(1, len(chapters) + 1)),
        f"listChapters: orders {[c.order for c in chapters]}",
    )
    for chapter in chapters:
        locked = chapter.order > FREE_CHAPTERS
        check(chapter.locked is locked, f"listChapters: chapter {chapter.order} locked={chapter.locked}")
        tier = text(chapter.required_tier)
        check((tier != "free") is locked, f"listChapters: chapter {chapter.order} needs {tier}")
    first, second, fourth = chapters[0], chapters[1], chapters[3]

    # 3. Chapter 1 by slug, verbatim, with its quiz and neighbours.
    chapter = expect(
        "getChapter(1)",
        lambda: get_chapter.sync_detailed(chapter_ref=first.slug, client=client),
        HTTPStatus.OK,
    )
    check(text(chapter.id) == text(first.id), "getChapter: another chapter's id")
    check(chapter.title == first.title and chapter.order == 1, f"getChapter: {chapter.title!r}")
    check(len(chapter.content) > 200, "getChapter: content is (almost) empty")
    digest = hashlib.sha256(chapter.content.encode("utf-8")).hexdigest()
    check(digest == chapter.content_sha256, "getChapter: content does not match content_sha256")
    check(value(chapter.previous_chapter_id) is None, "getChapter: chapter 1 has a previous chapter")
    check(text(chapter.next_chapter_id) == text(second.id), "getChapter: next is not chapter 2")
    check(value(chapter.quiz_id) is not None, "getChapter: chapter 1 has no quiz_id")

    # 4. Its quiz, found through listQuizzes; questions never carry answers.
    quizzes = expect("listQuizzes", lambda: list_quizzes.sync_detailed(client=client), HTTPStatus.OK)
    check(quizzes.total == len(quizzes.items) > 0, f"listQuizzes: total {quizzes.total}")
    mine = [q for q in quizzes.items if text(q.chapter_id) == text(first.id)]
    check(len(mine) == 1, f"listQuizzes: {len(mine)} quizzes for chapter 1")
    summary = mine[0]
    check(text(summary.id) == text(chapter.quiz_id), "listQuizzes: id differs from chapter quiz_id")
    check(summary.locked is False and summary.question_count > 0, "listQuizzes: chapter 1 quiz")
    check(
        any(q.locked for q in quizzes.items if text(q.chapter_id) == text(fourth.id)),
        "listQuizzes: chapter 4's quiz is not locked for a free learner",
    )
    quiz_id = text(summary.id)
    quiz = expect("getQuiz", lambda: get_quiz.sync_detailed(quiz_id=quiz_id, client=client), HTTPStatus.OK)
    check(text(quiz.id) == quiz_id and text(quiz.chapter_id) == text(first.id), "getQuiz: ids")
    check(len(quiz.questions) == summary.question_count, "getQuiz: question count")
    check(0 < quiz.pass_mark <= 100, f"getQuiz: pass_mark {quiz.pass_mark}")
    for question in quiz.questions:
        leaked = {"answer", "correct_answer", "explanation"} & set(question.to_dict())
        check(not leaked, f"getQuiz: question {question.id} carries {sorted(leaked)}")
        check(question.text.strip() != "", f"getQuiz: question {question.id} has no text")

    # 5. Submit one answer per question, chosen by kind, with a unique submission id.
    answers = {text(q.id): answer_for(q) for q in quiz.questions}
    submission_id = f"py-journey-{uuid.uuid4()}"
    body = SubmitRequest.from_dict({"answers": answers, "submission_id": submission_id})
    graded = expect(
        "submitQuiz",
        lambda: submit_quiz.sync_detailed(quiz_id=quiz_id, client=client, body=body),
        HTTPStatus.CREATED,
    )
    total = len(quiz.questions)
    check(graded.total == total and len(graded.results) == total, f"submitQuiz: total {graded.total}")
    check(graded.attempt_number == 1, f"submitQuiz: attempt_number {graded.attempt_number}")
    correct = sum(1 for r in graded.results if r.is_correct)
    check(graded.correct_count == correct, "submitQuiz: correct_count disagrees with results")
    check(graded.score == math.floor(100 * correct / total), f"submitQuiz: score {graded.score}")
    check(graded.passed is (graded.score >= quiz.pass_mark), "submitQuiz: passed vs pass_mark")
    for result in graded.results:
        sent = answers.get(text(result.question_id))
        check(sent is not None, f"submitQuiz: result for unknown question {result.question_id}")
        check(
            as_keys(result.selected) == as_keys(sent),
            f"submitQuiz: question {result.question_id} graded {value(result.selected)!r}, sent {sent!r}",
        )
    # The same submission id again: the first result, not a second attempt.
    replay = expect(
        "submitQuiz (retry, same submission_id)",
        lambda: submit_quiz.sync_detailed(quiz_id=quiz_id, client=client, body=body),
        HTTPStatus.OK,
    )
    check(text(replay.attempt_id) == text(graded.attempt_id), "submitQuiz retry: a new attempt")

    # 6. Results: exactly that one attempt.
    results = expect(
        "getQuizResults",
        lambda: get_quiz_results.sync_detailed(quiz_id=quiz_id, client=client),
        HTTPStatus.OK,
    )
    check(results.attempt_count == 1 and results.total == 1, f"getQuizResults: {results.attempt_count}")
    check(text(results.items[0].attempt_id) == text(graded.attempt_id), "getQuizResults: attempt id")
    check(value(results.best_score) == graded.score, f"getQuizResults: best {results.best_score}")
    check(value(results.last_score) == graded.score, f"getQuizResults: last {results.last_score}")
    check(results.passed_ever is graded.passed, "getQuizResults: passed_ever")

    # 7. Chapter 1 complete: the pointer moves on to chapter 2.
    progress = expect(
        "updateProgress",
        lambda: update_progress.sync_detailed(
            user="me", client=client, body=ProgressUpdate(chapter_id=first.slug)
        ),
        HTTPStatus.OK,
    )
    check(text(progress.user_id) == user_id, "updateProgress: another user's progress")
    check(progress.completed_count == 1, f"updateProgress: completed {progress.completed_count}")
    check(
        [text(c.chapter_id) for c in progress.completed_chapters] == [text(first.id)],
        "updateProgress: completed_chapters is not [chapter 1]",
    )
    check(progress.total_chapters == len(chapters), "updateProgress: total_chapters")
    expected_percentage = round(100 / len(chapters), 1)
    check(progress.percentage == expected_percentage, f"updateProgress: {progress.percentage}%")
    current = value(progress.current_chapter)
    check(
        current is not None and text(current.id) == text(second.id),
        "updateProgress: current chapter is not 2",
    )

    # 8. Daily check-in: already counted today (completing and submitting check in too).
    checkin = expect(
        "recordCheckin", lambda: record_checkin.sync_detailed(user="me", client=client), HTTPStatus.OK
    )
    check(checkin.current_streak == 1, f"recordCheckin: current_streak {checkin.current_streak}")
    check(checkin.longest_streak == 1, f"recordCheckin: longest_streak {checkin.longest_streak}")
    check(checkin.checked_in_today is True, "recordCheckin: not checked in today")
    check(checkin.incremented is False, "recordCheckin: incremented although the quiz checked in")
    check(text(checkin.last_checkin) == today.isoformat(), f"recordCheckin: {checkin.last_checkin}")
    check(checkin.timezone == "UTC", f"recordCheckin: timezone {checkin.timezone!r}")

    # 9. Progress and streak reflect the completion and the check-in.
    progress = expect(
        "getProgress", lambda: get_progress.sync_detailed(user="me", client=client), HTTPStatus.OK
    )
    check(progress.completed_count == 1, f"getProgress: completed {progress.completed_count}")
    check(text(progress.completed_chapters[0].slug) == first.slug, "getProgress: completed slug")
    check(progress.percentage == expected_percentage, f"getProgress: {progress.percentage}%")
    check(value(progress.last_activity) is not None, "getProgress: no last_activity")
    check(progress.streak.current == 1 and progress.streak.checked_in_today, "getProgress: streak")
    streak = expect("getStreak", lambda: get_streak.sync_detailed(user="me", client=client), HTTPStatus.OK)
    check(streak.current_streak == 1 and streak.longest_streak == 1, "getStreak: not a 1-day streak")
    check(streak.checked_in_today is True, "getStreak: not checked in today")
    check(text(streak.last_checkin) == today.isoformat(), f"getStreak: last_checkin {streak.last_checkin}")

    # 10. A locked chapter: 403 upgrade_required, with the tier and where to upgrade.
    refused = expect(
        "getChapter(4) locked",
        lambda: get_chapter.sync_detailed(chapter_ref=fourth.slug, client=client),
        HTTPStatus.FORBIDDEN,
    )
    check(refused.error == "upgrade_required", f"getChapter(4): error {refused.error!r}")
    check(bool(refused.message), "getChapter(4): no message")
    details = value(refused.details)
    details = details.to_dict() if hasattr(details, "to_dict") else (details or {})
    check(details.get("required_tier") == text(fourth.required_tier), f"getChapter(4): {details}")
    check(str(details.get("upgrade_url", "")).startswith("http"), f"getChapter(4): {details}")

    # 11. A review session: the questions the quiz got wrong are due now; "what next?" says so.
    missed = {text(r.question_id): value(r.correct_answer) for r in graded.results if not r.is_correct}
    check(missed, "submitQuiz: the kind rule got every answer right; the review session needs one wrong")
    step = expect("getNextStep", lambda: get_next_step.sync_detailed(client=client), HTTPStatus.OK)
    check(text(step.action) == "review", f"getNextStep: action {text(step.action)!r}, cards are due")
    check(text(step.reason) == "cards_due", f"getNextStep: reason {text(step.reason)!r}")
    check(step.numbers.due_now == len(missed), f"getNextStep: due_now {step.numbers.due_now}")
    queue = expect(
        "getReviewQueue",
        lambda: get_review_queue.sync_detailed(client=client, limit=50),
        HTTPStatus.OK,
    )
    check(queue.due_now == len(missed), f"getReviewQueue: due_now {queue.due_now}, missed {len(missed)}")
    due = [card for card in queue.items if text(card.state) != "new"]
    check({text(card.question.id) for card in due} == set(missed), "getReviewQueue: due cards are not the missed questions")
    for card in due:
        check(text(card.quiz_id) == quiz_id, f"getReviewQueue: card of quiz {card.quiz_id}")
        check(text(card.chapter.id) == text(first.id), "getReviewQueue: card of another chapter")
        leaked = {"answer", "correct_answer", "explanation"} & set(card.question.to_dict())
        check(not leaked, f"getReviewQueue: card {card.question.id} carries {sorted(leaked)}")
        question_id = text(card.question.id)
        request = ReviewRequest.from_dict({"answer": missed[question_id], "review_id": f"py-{question_id}"})
        reviewed = expect(
            f"answerReview({question_id[:8]})",
            lambda: answer_review.sync_detailed(question_id=question_id, client=client, body=request),
            HTTPStatus.CREATED,
        )
        check(reviewed.is_correct is True and text(reviewed.rating) == "good", f"answerReview: {reviewed.to_dict()}")
        next_due = value(reviewed.next_due_at)
        check(next_due is not None and next_due.date() > today, f"answerReview: next due {next_due}, not a later day")
        replay = expect(
            "answerReview (retry, same review_id)",
            lambda: answer_review.sync_detailed(question_id=question_id, client=client, body=request),
            HTTPStatus.OK,
        )
        check(replay.next_due_at == reviewed.next_due_at, "answerReview retry: reviewed twice")
    queue = expect("getReviewQueue (after)", lambda: get_review_queue.sync_detailed(client=client), HTTPStatus.OK)
    check(queue.due_now == 0, f"getReviewQueue: {queue.due_now} still due after the session")
    step = expect("getNextStep (after)", lambda: get_next_step.sync_detailed(client=client), HTTPStatus.OK)
    expected = "continue_chapter" if graded.passed else "retake_quiz"
    check(text(step.action) == expected, f"getNextStep: action {text(step.action)!r}, expected {expected!r}")

    print(f"PASS: Python journey ({email}, quiz score {graded.score}, {len(missed)} cards reviewed)")


if __name__ == "__main__":
    try:
        main()
    except JourneyError as error:
        print(f"FAIL: Python journey: {error}", file=sys.stderr)
        sys.exit(1)
