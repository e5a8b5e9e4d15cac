"""Images and documents Kiro accepts (kiro-request-rules R41-R46).

What cannot be sent becomes a short text stub in the same turn, so the model knows something
was there. Images are never re-encoded here (no imaging library): an oversize one is stubbed.
"""

from __future__ import annotations

import dataclasses
import re

from codex2claudecode.backends.kiro.turns import Document, Finding, Image, Turn

IMAGE_FORMATS = frozenset({"png", "jpeg", "gif", "webp"})  # R44: the service enum
DOCUMENT_FORMATS = frozenset({"pdf", "csv", "doc", "docx", "xls", "xlsx", "html", "txt", "md"})
MAX_IMAGE_BASE64 = 5_242_880  # R41: 5 MiB after base64
MAX_ATTACHMENTS = 100  # R43: images plus documents, whole conversation
MAX_DOCUMENTS = 5  # R46: per conversation
_DATA_PREFIX = re.compile(r"^data:[^,]*;base64,")
_NOT_IN_DOC_NAME = re.compile(r"[^A-Za-z0-9\s\-()\[\]]")


def image_format(media_type: str | None) -> str:
    """`image/jpg` -> `jpeg`, `image/png` -> `png`; the subtype, lower-cased, otherwise."""
    subtype = (media_type or "").rpartition("/")[2].lower().strip()
    return "jpeg" if subtype == "jpg" else subtype


def document_name(title: str | None) -> str:
    """R46: letters, digits, spaces, `-()[]`, no extension, at most 200 characters."""
    stem = (title or "").strip()
    if "." in stem:
        stem = stem.rsplit(".", 1)[0]
    cleaned = " ".join(_NOT_IN_DOC_NAME.sub(" ", stem).split())[:200]
    return cleaned or "document"


def repair_media(turns: list[Turn], supports_images: bool, found: list[Finding]) -> list[Turn]:
    """Every image and document checked; the oldest beyond the conversation caps stubbed."""
    total = sum(len(t.images) + len(t.documents) for t in turns)
    documents = sum(len(t.documents) for t in turns)
    over_total = max(0, total - MAX_ATTACHMENTS)
    over_docs = max(0, documents - MAX_DOCUMENTS)
    names: set[str] = set()
    out: list[Turn] = []
    for index, turn in enumerate(turns):
        if not (turn.images or turn.documents):
            out.append(turn)
            continue
        path = f"messages.{index}"
        stubs: list[str] = []
        images: list[Image] = []
        for image in turn.images:
            problem = _image_problem(image, supports_images)
            if problem is None and over_total:
                over_total -= 1
                problem = "R43", "too many images and documents in the conversation"
            if problem is None:
                images.append(_strip_prefix(image))
                continue
            found.append(Finding(problem[0], "repaired", path, problem[1]))
            stubs.append(f"[Image omitted: {problem[1]}]")
        docs: list[Document] = []
        for doc in turn.documents:
            problem = _document_problem(doc, names)
            if problem is None and (over_total or over_docs):
                over_total, over_docs = max(0, over_total - 1), max(0, over_docs - 1)
                problem = "R46", "too many documents in the conversation"
            if problem is None:
                names.add(doc.name)
                docs.append(doc)
                continue
            found.append(Finding(problem[0], "repaired", path, problem[1]))
            stubs.append(f"[Document {doc.name} omitted: {problem[1]}]")
        text = "\n\n".join(t for t in (turn.text, *stubs) if t)
        out.append(
            dataclasses.replace(turn, text=text, images=tuple(images), documents=tuple(docs))
        )
    return out


def _strip_prefix(image: Image) -> Image:
    if image.bytes.startswith("data:"):
        return dataclasses.replace(image, bytes=_DATA_PREFIX.sub("", image.bytes))
    return image


def _image_problem(image: Image, supports_images: bool) -> tuple[str, str] | None:
    if not supports_images:
        return "R45", "this model takes text only"
    if image.format not in IMAGE_FORMATS:
        return "R44", f"format {image.format or 'unknown'} is not png, jpeg, gif or webp"
    if not image.bytes:
        return "R44", "no image data"
    if len(image.bytes) > MAX_IMAGE_BASE64:
        return "R41", f"{len(image.bytes)} bytes of base64 exceed Kiro's 5 MiB limit"
    return None


def _document_problem(doc: Document, names: set[str]) -> tuple[str, str] | None:
    if doc.format not in DOCUMENT_FORMATS:
        return "R46", f"format {doc.format or 'unknown'} is not supported"
    if not doc.bytes:
        return "R46", "no document data"
    if doc.name in names:
        return "R46", "the same document was attached earlier"
    return None
