"""A step's code is what its stage module imports, found by reading the source (pipeline.code_deps)."""

from __future__ import annotations

from pathlib import Path

from pipeline.code_deps import PACKAGE_ROOT, module_files
from pipeline.config.load import load_project
from pipeline.graph import SHOW_STAGES, episode_steps, make_path, stage_code
from pipeline.layout import episode_paths
from pipeline.slices import make_fragment
from pipeline.stages import STAGES
from tests.helpers import small_show

PIPELINE = PACKAGE_ROOT / "pipeline"


def names(files: tuple[Path, ...], root: Path) -> list[str]:
    return [path.relative_to(root).as_posix() for path in files]


def write_package(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_the_clips_stage_depends_on_what_it_imports_lazily_and_what_those_import() -> None:
    clips = names(module_files("pipeline.stages.clips"), PACKAGE_ROOT)
    for expected in ("pipeline/stages/clips.py", "pipeline/notes/chapters.py", "pipeline/formats/captions.py",
                     "pipeline/video/renderer.py", "pipeline/tools/ffmpeg.py", "pipeline/clips/select.py",
                     "pipeline/context.py", "pipeline/__init__.py", "pipeline/clips/__init__.py",
                     "pipeline/assets/fonts/DejaVuSans.ttf"):  # named by video/style.py as Path(__file__)/…
        assert expected in clips
    assert "pipeline/stages/notes.py" not in clips
    assert clips == sorted(clips)


def test_every_stage_depends_only_on_files_of_the_pipeline_package() -> None:
    for spec in STAGES.values():
        files = module_files(spec.module)
        assert all(path.is_file() and path.is_relative_to(PIPELINE) for path in files), spec.name
        assert PIPELINE / "stages" / f"{spec.name}.py" in files


def test_templates_come_with_the_module_that_reads_them() -> None:
    assert PIPELINE / "templates" / "notes" / "shownotes.html.j2" in stage_code("notes")
    assert PIPELINE / "templates" / "site" / "index.html" in stage_code("feed")
    assert not any("templates" in path.parts for path in stage_code("publish"))


def test_a_module_importing_nothing_of_its_package_is_itself_and_its_package(tmp_path: Path) -> None:
    root = write_package(tmp_path, {"pkg/__init__.py": "", "pkg/alone.py": "import os\nfrom json import dumps\n"})
    assert names(module_files("pkg.alone", root), root) == ["pkg/__init__.py", "pkg/alone.py"]


def test_relative_submodule_lazy_and_type_checking_imports(tmp_path: Path) -> None:
    root = write_package(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/stage.py": (
            "from typing import TYPE_CHECKING\n"
            "from . import helper\n"                      # a submodule by `from package import name`
            "from .sub.deep import VALUE\n"               # relative, two levels: runs sub/__init__.py too
            "if TYPE_CHECKING:\n"
            "    from pkg.annotations import Thing\n"     # never runs: not a dependency
            "else:\n"
            "    import pkg.fallback\n"
            "def run() -> None:\n"
            "    try:\n"
            "        from pkg.lazy import work\n"          # imported only when run() runs: still a dependency
            "    except ImportError:\n"
            "        from ..outside import nothing\n"      # above the package: ignored
        ),
        "pkg/helper.py": "from .sub import deep\n",
        "pkg/sub/__init__.py": "",
        "pkg/sub/deep.py": "VALUE = 1\n",
        "pkg/annotations.py": "",
        "pkg/fallback.py": "",
        "pkg/lazy.py": "from pkg.sub.deep import VALUE as work\n",
        "pkg/unused.py": "",
    })
    assert names(module_files("pkg.stage", root), root) == [
        "pkg/__init__.py", "pkg/fallback.py", "pkg/helper.py", "pkg/lazy.py", "pkg/stage.py", "pkg/sub/__init__.py",
        "pkg/sub/deep.py"]


def test_data_folders_named_from_file_are_part_of_the_code(tmp_path: Path) -> None:
    root = write_package(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/render.py": ("from pathlib import Path\n"
                          "TEMPLATES = Path(__file__).resolve().parent / 'templates' / 'render'\n"
                          "ELSEWHERE = Path(__file__).resolve().parent.parent / 'outside'\n"),
        "pkg/templates/render/page.html": "",
        "pkg/templates/other/page.html": "",
        "outside/file.txt": "",
    })
    assert names(module_files("pkg.render", root), root) == [
        "pkg/__init__.py", "pkg/render.py", "pkg/templates/render/page.html"]


def test_each_step_reads_its_stage_code_and_the_show_stages_code_reaches_make(tmp_path: Path) -> None:
    project = small_show(tmp_path / "show")
    loaded = load_project(project, environ={})
    episode = loaded.episodes["463"]
    steps = episode_steps(project, loaded.show, episode, episode_paths(project, episode))
    for step in steps:
        assert [p for p in step.reads if p.is_relative_to(PIPELINE)] == list(stage_code(step.stage)), step.name
    clips = next(step for step in steps if step.name == "clips")
    assert PIPELINE / "notes" / "chapters.py" in clips.reads
    fragment = make_fragment(project, episode_paths(project, episode), loaded.show, episode)
    for stage in SHOW_STAGES:
        assert f"\n{stage.upper()}_FILES := " in fragment
    publish_rule = next(line for line in fragment.splitlines() if line.startswith("build/published.txt &: "))
    assert make_path(project, PIPELINE / "stores" / "s3.py") in publish_rule.split()
