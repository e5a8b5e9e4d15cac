import base64
import json
import math
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from codex2claudecode import ir, tokens, vocabulary

FIXTURES = Path(__file__).resolve().parents[0] / "fixtures" / "claude-code"


def make_request(*parts: ir.Part, **overrides: object) -> ir.Request:
    fields: dict[str, object] = {
        "model": "gpt-5.4",
        "messages": (ir.Message("user", parts),) if parts else (),
    }
    fields.update(overrides)
    return ir.Request(**fields)  # type: ignore[arg-type]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# --------------------------------------------------------------------------- image headers


def png(width: int, height: int) -> bytes:
    ihdr = width.to_bytes(4, "big") + height.to_bytes(4, "big") + b"\x08\x06\x00\x00\x00"
    return b"\x89PNG\r\n\x1a\n" + len(ihdr).to_bytes(4, "big") + b"IHDR" + ihdr + b"\0" * 20


def gif(width: int, height: int) -> bytes:
    return b"GIF89a" + width.to_bytes(2, "little") + height.to_bytes(2, "little") + b"\0" * 20


def webp(chunk: bytes, body: bytes) -> bytes:
    payload = b"WEBP" + chunk + len(body).to_bytes(4, "little") + body
    return b"RIFF" + len(payload).to_bytes(4, "little") + payload


def webp_vp8(width: int, height: int) -> bytes:
    frame = b"\x10\x02\x00" + b"\x9d\x01\x2a"
    return webp(b"VP8 ", frame + width.to_bytes(2, "little") + height.to_bytes(2, "little"))


def webp_vp8l(width: int, height: int) -> bytes:
    bits = (width - 1) | ((height - 1) << 14)
    return webp(b"VP8L", b"\x2f" + bits.to_bytes(4, "little") + b"\0" * 8)


def webp_vp8x(width: int, height: int) -> bytes:
    canvas = (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return webp(b"VP8X", b"\x00\x00\x00\x00" + canvas)


def jpeg(width: int, height: int, exif_size: int = 0) -> bytes:
    segments = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    if exif_size:
        segments += b"\xff\xe1" + (exif_size + 2).to_bytes(2, "big") + b"\xab" * exif_size
    sof = b"\x08" + height.to_bytes(2, "big") + width.to_bytes(2, "big") + b"\x03" + b"\0" * 9
    segments += b"\xff\xff\xc2" + (len(sof) + 2).to_bytes(2, "big") + sof  # fill byte, then SOF2
    return b"\xff\xd8" + segments + b"\xff\xda\x00\x02" + b"\x00" * 64


@pytest.mark.parametrize(
    ("data", "size"),
    [
        (png(800, 600), (800, 600)),
        (gif(17, 3), (17, 3)),
        (webp_vp8(640, 480), (640, 480)),
        (webp_vp8l(1, 16384), (1, 16384)),
        (webp_vp8x(4000, 3000), (4000, 3000)),
        (jpeg(1920, 1080), (1920, 1080)),
        (jpeg(1024, 768, exif_size=65_000), (1024, 768)),  # frame header far past the prefix
        (b"BM" + b"\0" * 40, None),  # BMP: not a format we read
        (png(0, 10), None),
        (b"\xff\xd8\xff", None),  # truncated JPEG
        (b"RIFF\0\0\0\0WEBP", None),  # truncated WebP
        (b"", None),
    ],
)
def test_image_size_reads_header(data: bytes, size: tuple[int, int] | None) -> None:
    assert tokens.image_size(b64(data)) == size


@pytest.mark.parametrize("offset", range(3))
def test_image_size_of_jpeg_at_every_base64_alignment(offset: int) -> None:
    # The segment walk reads at arbitrary byte offsets; each lands differently in base64 groups.
    assert tokens.image_size(b64(jpeg(333, 222, exif_size=1000 + offset))) == (333, 222)


def test_image_size_rejects_invalid_base64() -> None:
    assert tokens.image_size("not*base64!") is None


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        (ir.ImagePart("image/png", b64(png(200, 200))), math.ceil(200 * 200 / 750)),
        (ir.ImagePart("image/png", b64(png(1000, 1000))), math.ceil(1000 * 1000 / 750)),
        # Long edge scaled to 1568 first: 3136x100 becomes 1568x50.
        (ir.ImagePart("image/gif", b64(gif(3136, 100))), math.ceil(1568 * 50 / 750)),
        (ir.ImagePart("image/webp", b64(webp_vp8x(4000, 3000))), 1600),
        (ir.ImagePart("image/png", "@@@@"), 1600),
        (ir.ImagePart(None, None, url="https://example.com/cat.png"), 1600),
    ],
)
def test_image_tokens(image: ir.ImagePart, expected: int) -> None:
    base = tokens.count_request_tokens(make_request(ir.TextPart("x")))
    assert tokens.count_request_tokens(make_request(ir.TextPart("x"), image)) == base + expected


# --------------------------------------------------------------------------- counting


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("", 0),
        ("hello", 1),
        ("hello world", 2),
        ("<|endoftext|>", 7),  # ordinary text, not the special token (and no exception)
        ("<|endofprompt|>x", 8),
        ("<|endofprompt|>x" * 200, 1600),  # long enough to go through the cache
    ],
)
def test_count_text(text: str, count: int) -> None:
    assert tokens.count_text(text) == count


def encoded_length(text: str) -> int:
    return tokens._encoder.run(lambda encoding: len(encoding.encode_ordinary(text)))


def test_cached_counts_equal_fresh_encodings() -> None:
    text = "The quick brown fox. " * 300
    encoded = encoded_length(text)
    assert [tokens.count_text(text) for _ in range(3)] == [encoded] * 3
    assert tokens.count_text(text + "!") == encoded_length(text + "!")


def test_single_user_hello_counts_like_chatml() -> None:
    # original-codex spec test 60: 1 token of content, 4 of framing, 3 of reply primer.
    assert tokens.count_request_tokens(make_request(ir.TextPart("hello"))) == 8


def test_empty_request_counts_only_the_primer() -> None:
    assert tokens.count_request_tokens(make_request()) == 3


def test_system_counts_as_one_more_item() -> None:
    plain = tokens.count_request_tokens(make_request(ir.TextPart("hello")))
    with_system = make_request(ir.TextPart("hello"), system="Be brief.")
    assert tokens.count_request_tokens(with_system) == plain + 4 + tokens.count_text("Be brief.")


def test_tool_counts_as_its_function_json() -> None:
    tool = ir.Tool("Bash", "Run a command.", {"type": "object", "properties": {}})
    expected = tokens.count_text(
        '{"type":"function","name":"Bash","description":"Run a command.",'
        '"parameters":{"type":"object","properties":{}},"strict":false}'
    )
    plain = tokens.count_request_tokens(make_request(ir.TextPart("hi")))
    assert tokens.count_request_tokens(make_request(ir.TextPart("hi"), tools=(tool,))) == (
        plain + expected
    )


PDF = b"%PDF-1.7\n1 0 obj <</Type /Pages /Count 3>>\n" + b"".join(
    b"%d 0 obj <</Type/Page /Parent 1 0 R>>\n" % n for n in (2, 3, 4)
)


@pytest.mark.parametrize(
    ("part", "extra"),
    [
        (ir.ToolCallPart("call_1", "Bash", '{"command": "ls -la"}'), 4 + 2 + 8),
        (ir.ToolResultPart("call_1", (ir.TextPart("total 0"),)), 4 + 3),
        (ir.ThinkingPart("Let me think.", "sig"), 4),
        (ir.RedactedThinkingPart("opaque"), 0),
        (ir.DocumentPart("text", title="notes", data="hello world"), 1 + 2),
        (ir.DocumentPart("base64", media_type="application/pdf", data=b64(PDF)), 3 * 2000),
        (ir.DocumentPart("base64", media_type="text/plain", data=b64(b"hello world")), 2),
        (ir.DocumentPart("base64", media_type="application/zip", data=b64(b"\0" * 400)), 100),
        (ir.DocumentPart("url", url="https://example.com/a.pdf"), 2000),
        (ir.DocumentPart("file", file_id="file_1"), 2000),
    ],
)
def test_rich_parts_add_their_estimate(part: ir.Part, extra: int) -> None:
    base = tokens.count_request_tokens(make_request(ir.TextPart("x")))
    assert tokens.count_request_tokens(make_request(ir.TextPart("x"), part)) == base + extra


def test_pdf_without_page_objects_counts_one_page() -> None:
    part = ir.DocumentPart("base64", media_type="application/pdf", data=b64(b"%PDF-1.7 compressed"))
    base = tokens.count_request_tokens(make_request(ir.TextPart("x")))
    assert tokens.count_request_tokens(make_request(ir.TextPart("x"), part)) == base + 2000


def request_from_fixture(name: str) -> ir.Request:
    """A rough ir.Request from a captured Claude Code body: system, message texts, tools."""
    body = json.loads((FIXTURES / name).read_text())["request"]["body"]

    def texts(content: object) -> tuple[ir.Part, ...]:
        if isinstance(content, str):
            return (ir.TextPart(content),)
        assert isinstance(content, list)
        return tuple(ir.TextPart(block["text"]) for block in content if block["type"] == "text")

    system = body.get("system", [])
    return ir.Request(
        model=body["model"],
        system="\n\n".join(block["text"] for block in system),
        messages=tuple(ir.Message(m["role"], texts(m["content"])) for m in body["messages"]),
        tools=tuple(
            ir.Tool(t["name"], t.get("description"), t["input_schema"]) for t in body["tools"]
        ),
    )


def texts_of(message: ir.Message) -> list[str]:
    return [part.text for part in message.parts if isinstance(part, ir.TextPart)]


def test_big_claude_code_request_counts_every_section() -> None:
    request = request_from_fixture("messages_main_stream.json")
    total = tokens.count_request_tokens(request)
    sections = (
        3
        + 4
        + tokens.count_text(request.system)
        + sum(4 + sum(map(tokens.count_text, texts_of(m))) for m in request.messages)
        + sum(tokens.count_text(tokens._tool_json(tool)) for tool in request.tools)
    )
    assert total == sections
    # Claude Code's own /context shows ~1.5k for this system prompt and ~14.5k for these tools.
    assert 15_000 < total < 20_000
    assert tokens.count_request_tokens(request) == total  # second call: served by the cache


def run_python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout.strip()


def test_import_loads_neither_tiktoken_nor_the_vocabulary() -> None:
    code = (
        "import sys, codex2claudecode.tokens as t\nprint('tiktoken' in sys.modules, t.is_loaded())"
    )
    assert run_python(code) == "False False"


def test_concurrent_first_use_loads_once() -> None:
    # Without the lock, threads racing through the 0.3 s load would each build an encoding.
    code = (
        "import threading, codex2claudecode.tokens as t\n"
        "from concurrent.futures import ThreadPoolExecutor\n"
        "start = threading.Barrier(8)\n"
        "def first_use(_):\n"
        "    start.wait()\n"
        "    return t._encoder.run(id)\n"
        "with ThreadPoolExecutor(8) as pool:\n"
        "    print(len(set(pool.map(first_use, range(8)))))"
    )
    assert run_python(code) == "1"


def test_counts_from_many_threads_agree() -> None:
    tokens.warm_up()
    texts = [f"line {n} of some text " * 100 for n in range(32)]
    expected = [encoded_length(text) for text in texts]
    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(tokens.count_text, texts)) == expected


COUNT_IN_A_FRESH_PROCESS = """
import sys, threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
import codex2claudecode.tokens as t
if sys.argv[1] != "-":
    t.use_cache_dir(Path(sys.argv[1]))
texts = ["hello world", "<|endoftext|>", "The quick brown fox. " * 300, "ünïcödé 🙂 " * 500]
start = threading.Barrier(8)
def first_use(n):
    start.wait()  # eight callers reach the unloaded vocabulary at once
    return t._encoder.run(id), [t.count_text(text) for text in texts[n % 2 :]]
with ThreadPoolExecutor(8) as pool:
    results = list(pool.map(first_use, range(8)))
print(len({encoder for encoder, _ in results}), sorted({str(counts) for _, counts in results}))
"""


def count_in_fresh_process(cache_dir: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", COUNT_IN_A_FRESH_PROCESS, cache_dir],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout.strip()


def test_counts_are_the_same_with_and_without_the_vocabulary_cache(tmp_path: Path) -> None:
    without = count_in_fresh_process("-")
    assert without == "1 ['[2, 7, 1501, 2501]', '[7, 1501, 2501]']"  # as before the cache
    assert count_in_fresh_process(str(tmp_path)) == without  # decodes, writes the cache
    assert (tmp_path / vocabulary.CACHE_FILE).is_file()
    assert count_in_fresh_process(str(tmp_path)) == without  # loads from the cache


def test_estimate_loads_nothing_and_equals_the_count_once_loaded() -> None:
    code = (
        "import codex2claudecode.tokens as t\n"
        "from codex2claudecode import ir\n"
        "text = ir.TextPart('hello world ' * 200)\n"
        "r = ir.Request(model='gpt-5.4', messages=(ir.Message('user', (text,)),))\n"
        "before = t.estimate_request_tokens(r), t.is_loaded()\n"
        "t.warm_up()\n"
        "print(before, t.estimate_request_tokens(r), t.count_request_tokens(r))"
    )
    assert run_python(code) == "(600, False) 408 408"
