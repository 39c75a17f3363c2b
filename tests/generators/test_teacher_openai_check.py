"""`OpenAITeacher.check_endpoint`, the model listing asked before a run starts (issue 18): retried on 5xx as a
request is, then the listed models; a refused key or an endpoint still failing after the retries is one line
naming the URL; a server without a model listing (404) answers all the same."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from generators.teachers.openai import EndpointError, OpenAITeacher
from kerneldata.core.config import TeacherConfig


class ModelsServer:
    """GET /v1/models answers with the scripted (status, body) pairs in turn, the last one for good."""

    def __init__(self, *replies: tuple[int, dict]) -> None:
        self.replies = list(replies)
        self.asked = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                status, body = server.replies[min(server.asked, len(server.replies) - 1)]
                server.asked += 1
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def teacher(url: str, retries: int = 3) -> OpenAITeacher:
    config = TeacherConfig(kind="openai", openai={"model": "m", "base_url": url, "api_key_env": None,
                                                  "max_retries": retries, "backoff_base_s": 0.01})
    return OpenAITeacher(config, seed=0)


MODELS = {"object": "list", "data": [{"id": "m", "object": "model"}, {"id": "other", "object": "model"}]}
ERROR = {"error": {"message": "nope"}}


def test_a_server_error_is_retried_then_the_models_are_listed():
    server = ModelsServer((503, ERROR), (503, ERROR), (200, MODELS))
    waits = []
    try:
        assert teacher(server.url).check_endpoint(on_retry=lambda *args: waits.append(args[:3])) == ["m", "other"]
    finally:
        server.close()
    assert waits == [("HTTP 503", 1, 4), ("HTTP 503", 2, 4)] and server.asked == 3


@pytest.mark.parametrize(("reply", "message"), [
    ((401, ERROR), "refused a request without an API key (set teacher.openai.api_key_env to the variable holding "
                   "one) (HTTP 401)"),
    ((500, ERROR), "is unreachable: HTTP 500 (2 attempts)"),
])
def test_a_refused_key_or_a_failing_endpoint_is_one_line_naming_the_url(reply, message):
    server = ModelsServer(reply)
    try:
        with pytest.raises(EndpointError) as err:
            teacher(server.url, retries=1).check_endpoint()
    finally:
        server.close()
    assert str(err.value) == f"teacher endpoint {server.url} {message}"
    assert server.asked == (1 if reply[0] == 401 else 2)  # a refused key is not asked again


def test_a_server_without_a_model_listing_answers_all_the_same():
    server = ModelsServer((404, ERROR))
    try:
        assert teacher(server.url).check_endpoint() == []
    finally:
        server.close()
