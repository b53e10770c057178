"""The static form of the explorers (ufm.webview): the spec, and the bundled script."""

import json
import subprocess

import pytest

from ufm import webview


def write_modules(folder, modules):
    for name, text in modules.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return folder


MODULES = {
    "main.js": (
        'import { twice } from "./lib/math.js";\n'
        'import { label } from "./lib/text.js";\n'
        "export const result = label(twice(21));\n"
        "globalThis.__result = result;\n"
    ),
    "lib/math.js": "export function twice(x) {\n  return 2 * x;\n}\nconst hidden = 1;\n",
    "lib/text.js": (
        'import { twice } from "./math.js";\n'
        "const hidden = 2;\n"
        "export function label(x) {\n  return `answer ${x} ${twice(hidden)}`;\n}\n"
    ),
}


def test_the_bundle_runs_as_a_classic_script_and_computes_what_the_modules_compute(tmp_path, node):
    root = write_modules(tmp_path / "js", MODULES)
    script = webview.bundle("main.js", root)
    assert "export " not in script and "import {" not in script
    # Each module keeps its own scope: both define `hidden` without a clash.
    out = subprocess.run(
        [node, "-e", script + "\nconsole.log(globalThis.__result);"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "answer 42 4"


def test_the_bundle_drops_comments_and_indentation_but_not_the_lines_of_a_template(tmp_path, node):
    module = (
        "/* A module\n * header. */\n"
        "// a comment\n"
        "export function css() {\n"
        "    // indented comment\n"
        "    return `a {\n  // kept: inside a template\n}`;  // trailing comment kept\n"
        "}\n"
        "globalThis.__result = css();\n"
    )
    root = write_modules(tmp_path / "js", {"main.js": module})
    script = webview.bundle("main.js", root)
    assert "A module" not in script and "a comment" not in script and "indented" not in script
    assert "  // kept: inside a template" in script and "    return" not in script
    out = subprocess.run(
        [node, "-e", script + "\nconsole.log(JSON.stringify(globalThis.__result));"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(out.stdout) == "a {\n  // kept: inside a template\n}"


def test_the_bundle_of_ufm_js_is_one_classic_script_that_loads_without_a_page(tmp_path, node):
    path = tmp_path / "ufm-explorers.js"
    path.write_text(webview.bundle())
    subprocess.run([node, "--check", str(path)], check=True)
    # No document: the entry point registers the explorers and mounts nothing.
    subprocess.run([node, str(path)], check=True)


@pytest.mark.parametrize(
    "text, complaint",
    [
        ('import x from "./lib.js";\n', "write imports as"),
        ('import { a as b } from "./lib.js";\n', "is not supported"),
        ("export default function f() {}\n", "default exports"),
        ("const a = 1;\nexport { a };\n", "default exports and export lists"),
    ],
)
def test_module_syntax_outside_the_documented_subset_is_refused_with_file_and_line(
    tmp_path, text, complaint
):
    root = write_modules(tmp_path / "js", {"main.js": text, "lib.js": "export const a = 1;\n"})
    with pytest.raises(ValueError, match=complaint) as error:
        webview.bundle("main.js", root)
    assert "main.js:" in str(error.value)


def test_modules_that_import_each_other_in_a_cycle_are_refused(tmp_path):
    root = write_modules(
        tmp_path / "js",
        {
            "main.js": 'import { b } from "./b.js";\nexport const a = 1;\n',
            "b.js": 'import { a } from "./main.js";\nexport const b = 2;\n',
        },
    )
    with pytest.raises(ValueError, match="cycle"):
        webview.bundle("main.js", root)


def test_the_spec_has_the_controls_of_the_python_explorer_with_their_ranges_and_defaults():
    import ufm.widgets as uw

    for name, entry in uw.REGISTRY.items():
        explorer = entry.factory()
        spec = json.loads(json.dumps(webview.spec(explorer), allow_nan=False))
        assert spec["name"] == name
        assert [c["name"] for c in spec["controls"]] == list(explorer.controls)
        for control in spec["controls"]:
            widget = explorer.controls[control["name"]]
            assert control["label"] == widget.description
            if control["kind"] in ("select", "choice"):
                values = [value for _, value in control["options"]]
                assert control["value"] in values
                assert values == [v for _, v in widget._options_full]
            else:
                low, high = control["min"], control["max"]
                if control["kind"] == "log":
                    low, high = control["base"] ** low, control["base"] ** high
                assert low * (1 - 1e-12) <= control["value"] <= high * (1 + 1e-12)
                assert (control["min"], control["max"], control["step"]) == (
                    widget.min,
                    widget.max,
                    widget.step,
                )
