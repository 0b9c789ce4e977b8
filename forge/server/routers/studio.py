"""What the studio asks of the compiler: the kernel catalog, templates from examples/, and
check / compile / model-info runs on an uploaded source folder.

Each run unpacks the upload into a throw-away folder and runs `studio_job` there in a child
process under the worker's limits; custom Python blocks are always refused."""

from __future__ import annotations

import base64
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi import Path as PathParam
from starlette.concurrency import run_in_threadpool

from ..catalog import catalog as compiler_catalog
from ..deps import DeployAuth, FetchAuth, ScopedRoute
from ..problems import ProblemError
from ..schemas import CatalogOut, CheckOut, CompileOut, ModelInfoOut, TemplateOut, TemplateSummary
from ..uploads import safe_name
from ..worker import BuildLimits, run_limited
from .builds import collect_upload

router = APIRouter(prefix="/v1", tags=["studio"], route_class=ScopedRoute)
EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
STUDIO_LIMITS = BuildLimits(cpu_seconds=120, wall_seconds=180.0)
Files = Annotated[list[UploadFile], File(description="the source folder's files; each "
                                         "filename is its path relative to the folder")]
Runefile = Annotated[str, Form(max_length=1000)]


@router.get("/catalog", response_model=CatalogOut)
def catalog(auth: FetchAuth) -> CatalogOut:
    """Every kernel of the compiler's library with its arguments (types, defaults, docs), and
    the capability kinds, output kinds and element types a Runefile may name."""
    return CatalogOut.model_validate(compiler_catalog())


def _templates() -> dict[str, Path]:
    return {p.parent.name: p.parent for p in sorted(EXAMPLES.glob("*/Runefile.yml"))}


@router.get("/templates", response_model=list[TemplateSummary])
def list_templates(auth: FetchAuth) -> list[TemplateSummary]:
    """The examples/ folders a studio project can start from."""
    return [TemplateSummary(name=name, files=sorted(f.name for f in folder.iterdir()
                                                    if f.is_file()))
            for name, folder in _templates().items()]


@router.get("/templates/{template}", response_model=TemplateOut)
def get_template(auth: FetchAuth,
                 template: Annotated[str, PathParam(pattern=r"^[a-z][a-z0-9_-]{0,62}$")]
                 ) -> TemplateOut:
    """A template's files, base64-encoded (models are binary)."""
    folder = _templates().get(template)
    if folder is None:
        raise ProblemError(404, f"no template named {template!r}")
    return TemplateOut(name=template, files={
        f.name: base64.b64encode(f.read_bytes()).decode() for f in sorted(folder.iterdir())
        if f.is_file()})


def _run(request: Request, project: str, files: list[UploadFile], runefile: str | None,
         args: list[str]) -> dict[str, Any]:
    collected = collect_upload(request, files, None, runefile)
    work = Path(tempfile.mkdtemp(prefix="forge-studio-"))
    try:
        root = work / project  # the rune is named after its folder, as runec names it
        for name, data in collected.items():
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        command = [sys.executable, "-m", "rune.forge.server.studio_job", *args]
        report, _ = run_limited(command, root, STUDIO_LIMITS, "studio job")
        report.setdefault("ok", False)
        return report
    finally:
        shutil.rmtree(work, ignore_errors=True)


@router.post("/projects/{project}/studio/check", response_model=CheckOut)
async def check(project: str, auth: DeployAuth, request: Request, files: Files = [],  # noqa: B006
                runefile: Runefile = "Runefile.yml") -> CheckOut:
    """The frontend and check-types on the upload, without building: located diagnostics."""
    report = await run_in_threadpool(_run, request, project, files, runefile,
                                     ["check", "--runefile", runefile])
    return CheckOut.model_validate(report)


@router.post("/projects/{project}/studio/compile", response_model=CompileOut)
async def compile_(project: str, auth: DeployAuth, request: Request,
                   files: Files = [],  # noqa: B006
                   runefile: Runefile = "Runefile.yml",
                   opt_level: Annotated[str, Form(pattern=r"^(0|1|2|3|s)$")] = "2"
                   ) -> CompileOut:
    """Compile without storing a version: IR after each pass, fusion groups, memory plan,
    manifest and the rune itself (base64)."""
    report = await run_in_threadpool(_run, request, project, files, runefile,
                                     ["compile", "--runefile", runefile,
                                      "--opt-level", opt_level])
    return CompileOut.model_validate(report)


@router.post("/projects/{project}/studio/model", response_model=ModelInfoOut)
async def model_info(project: str, auth: DeployAuth, request: Request,
                     files: Files = []) -> ModelInfoOut:  # noqa: B006
    """The input and output tensors a model file declares (the first file uploaded)."""
    name = safe_name(files[0].filename or "") if files else ""
    report = await run_in_threadpool(_run, request, project, files[:1], None,
                                     ["model", "--model", name])
    return ModelInfoOut.model_validate(report)
