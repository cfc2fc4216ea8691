"""``python app.py`` in a simulated container runs a script only if it is the demo app."""

from __future__ import annotations

from kubelab.cluster.runtime.programs.demo_app import APP_SOURCE, load_script


def test_the_course_app_loads_without_starting_its_server() -> None:
    module = load_script(APP_SOURCE.read_text(), "/app/app.py")
    assert module is not None and module.__name__ != "__main__"
    app = module.DemoApp({"APP_VERSION": "2.0"}, "web-1", None, lambda: 0.0)
    reply = app.handle("GET", "/version")
    assert (reply.status, reply.body) == (200, "2.0\n")


def test_other_scripts_are_not_run() -> None:
    assert load_script("print('hello')\n", "/app/hello.py") is None
    assert load_script("class DemoApp: ...\nserve_forever()\n", "/app/app.py") is None
    assert load_script("class DemoApp: ...\nif True:\n    run()\n", "/app/app.py") is None
    assert load_script("def broken(:\n", "/app/app.py") is None
