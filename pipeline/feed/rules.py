"""Apple Podcasts and Podcasting 2.0 rules for a built feed, as pure checks returning every problem found.

Each problem names the feed (or file), the item and the tag, and says what is expected.
"""

from __future__ import annotations

import email.utils
import json
import re
import uuid
from pathlib import Path

from lxml import etree

from pipeline.feed.podcasting20 import CHAPTERS_TYPE, ITUNES_NS, PODCAST_NS, TRANSCRIPT_TYPES
from pipeline.formats.chapters import check_chapters_document

MAX_CHANNEL_DESCRIPTION_BYTES = 4000
MAX_ITEM_DESCRIPTION_CHARS = 4000
ARTWORK_MIN, ARTWORK_MAX = 1400, 3000
ARTWORK_FORMATS = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG"}
ENCLOSURE_TYPES = {".mp3": "audio/mpeg", ".m4a": "audio/x-m4a", ".mp4": "video/mp4", ".m4v": "video/x-m4v"}
NS = {"itunes": ITUNES_NS, "podcast": PODCAST_NS, "atom": "http://www.w3.org/2005/Atom"}
URL_ATTRIBUTES = ("url", "href")


def check_artwork(path: Path) -> list[str]:
    """Square, 1400–3000 px, JPEG or PNG matching its extension, RGB."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image_format, (width, height), mode = image.format, image.size, image.mode
    except FileNotFoundError:
        return [f"{path}: artwork not found"]
    except (UnidentifiedImageError, OSError) as exc:
        return [f"{path}: artwork is not a readable image ({exc})"]
    problems = []
    expected = ARTWORK_FORMATS.get(path.suffix.lower())
    if expected is None:
        problems.append(f"{path}: artwork must be a .jpg or .png file, not {path.suffix or 'no extension'}")
    elif image_format != expected:
        problems.append(f"{path}: artwork is {image_format} but its extension {path.suffix} says {expected}; "
                        "rename it or convert it")
    if image_format not in ("JPEG", "PNG"):
        problems.append(f"{path}: artwork must be JPEG or PNG, not {image_format}")
    if width != height:
        problems.append(f"{path}: artwork must be square, it is {width}×{height} px")
    if min(width, height) < ARTWORK_MIN or max(width, height) > ARTWORK_MAX:
        problems.append(f"{path}: artwork must be {ARTWORK_MIN}–{ARTWORK_MAX} px on each side, it is {width}×{height} px")
    if mode != "RGB":
        problems.append(f"{path}: artwork must be RGB without transparency, it is in colour mode {mode}")
    return problems


def check_chapters(path: Path) -> list[str]:
    """Podcasting 2.0 JSON chapters: a version and chapters with ascending startTime and a title."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [f"{path}: chapters are not readable JSON ({exc})"]
    return [f"{path}: {problem}" for problem in check_chapters_document(data)]


def parse_feed(xml: bytes) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.fromstring(xml, parser=parser)


def _text(parent: etree._Element, path: str) -> str:
    element = parent.find(path, NS)
    return (element.text or "").strip() if element is not None else ""


def _url_problems(where: str, url: str) -> list[str]:
    if not url:
        return [f"{where}: the URL is empty"]
    if not url.isascii():
        return [f"{where}: URL {url!r} is not ASCII; use ASCII file names (the slug)"]
    if not re.fullmatch(r"https?://[^\s\"<>]+", url):
        return [f"{where}: {url!r} is not an absolute http(s) URL"]
    return []


def check_feed(xml: bytes, name: str, files: dict[str, Path], public_base: str) -> list[str]:
    """Every problem in one feed. `files` maps each published URL to the built file uploaded there."""
    try:
        root = parse_feed(xml)
    except etree.XMLSyntaxError as exc:
        return [f"{name}: not well-formed XML ({exc})"]
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        return [f"{name}: not an RSS 2.0 feed (<rss><channel> expected)"]
    problems: list[str] = []

    required = {
        "title": "title", "description": "description", "link": "link", "language": "language",
        "itunes:author": "itunes:author", "itunes:owner/itunes:email": "itunes:owner email",
    }
    for path, label in required.items():
        if not _text(channel, path):
            problems.append(f"{name}: channel: <{label}> is missing or empty")
    description = _text(channel, "description")
    if len(description.encode("utf-8")) > MAX_CHANNEL_DESCRIPTION_BYTES:
        problems.append(f"{name}: channel: <description> is {len(description.encode())} bytes; Apple allows "
                        f"{MAX_CHANNEL_DESCRIPTION_BYTES} (shorten `description` in show.yaml)")
    image = channel.find("itunes:image", NS)
    if image is None or not image.get("href"):
        problems.append(f"{name}: channel: <itunes:image href=…> is missing")
    category = channel.find("itunes:category", NS)
    if category is None or not category.get("text"):
        problems.append(f"{name}: channel: <itunes:category text=…> is missing")
    problems += _explicit_problems(f"{name}: channel", channel, required=True)
    guid = _text(channel, "podcast:guid")
    if not guid:
        problems.append(f"{name}: channel: <podcast:guid> is missing")
    elif not _is_uuid(guid):
        problems.append(f"{name}: channel: <podcast:guid> {guid!r} is not a UUID")
    locked = channel.find("podcast:locked", NS)
    if locked is not None and (locked.text or "").strip() not in ("yes", "no"):
        problems.append(f"{name}: channel: <podcast:locked> must be yes or no")

    items = channel.findall("item")
    if not items:
        problems.append(f"{name}: the feed has no episodes; Apple needs at least one")
    seen_guids: dict[str, str] = {}
    seen_enclosures: dict[str, str] = {}
    for index, item in enumerate(items, 1):
        title = _text(item, "title")
        where = f"{name}: item {index} ({title or 'untitled'})"
        if not title:
            problems.append(f"{where}: <title> is missing or empty")
        item_guid = _text(item, "guid")
        if not item_guid:
            problems.append(f"{where}: <guid> is missing")
        elif item_guid in seen_guids:
            problems.append(f"{where}: <guid> {item_guid} is also used by {seen_guids[item_guid]}; guids must be unique")
        else:
            seen_guids[item_guid] = f"item {index}"
        if len(_text(item, "description")) > MAX_ITEM_DESCRIPTION_CHARS:
            problems.append(f"{where}: <description> has {len(_text(item, 'description'))} characters; Apple allows "
                            f"{MAX_ITEM_DESCRIPTION_CHARS} (shorten the show notes)")
        problems += _pub_date_problems(where, _text(item, "pubDate"))
        problems += _explicit_problems(where, item, required=False)
        if not _text(item, "itunes:duration"):
            problems.append(f"{where}: <itunes:duration> is missing")
        problems += _enclosure_problems(where, item, files, seen_enclosures, index)
        for transcript in item.findall("podcast:transcript", NS):
            if transcript.get("type") not in TRANSCRIPT_TYPES:
                problems.append(f"{where}: <podcast:transcript> type {transcript.get('type')!r} is not one of "
                                f"{', '.join(TRANSCRIPT_TYPES)}")
        for chapters in item.findall("podcast:chapters", NS):
            if chapters.get("type") != CHAPTERS_TYPE:
                problems.append(f"{where}: <podcast:chapters> type must be {CHAPTERS_TYPE}")
            chapters_file = files.get(chapters.get("url", ""))
            if chapters_file is not None:
                problems += check_chapters(chapters_file)

    problems += _all_url_problems(name, root, files, public_base)
    return problems


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _explicit_problems(where: str, parent: etree._Element, required: bool) -> list[str]:
    explicit = parent.findall("itunes:explicit", NS)
    if not explicit:
        return [f"{where}: <itunes:explicit> is missing"] if required else []
    if len(explicit) > 1:
        return [f"{where}: <itunes:explicit> appears {len(explicit)} times"]
    value = (explicit[0].text or "").strip()
    if value not in ("true", "false"):
        return [f"{where}: <itunes:explicit> is {value!r}; Apple expects true or false"]
    return []


def _pub_date_problems(where: str, value: str) -> list[str]:
    if not value:
        return [f"{where}: <pubDate> is missing"]
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return [f"{where}: <pubDate> {value!r} is not an RFC 2822 date"]
    if parsed.tzinfo is None:  # no zone, or -0000 ("zone unknown")
        return [f"{where}: <pubDate> {value!r} has no time zone"]
    return []


def _enclosure_problems(where: str, item: etree._Element, files: dict[str, Path],
                        seen: dict[str, str], index: int) -> list[str]:
    enclosures = item.findall("enclosure")
    if len(enclosures) != 1:
        return [f"{where}: needs exactly one <enclosure>, found {len(enclosures)}"]
    enclosure = enclosures[0]
    url, length, kind = enclosure.get("url", ""), enclosure.get("length", ""), enclosure.get("type", "")
    problems = []
    if url in seen:
        problems.append(f"{where}: <enclosure> {url} is also used by {seen[url]}; each episode needs its own file")
    seen.setdefault(url, f"item {index}")
    suffix = Path(url.split("?")[0]).suffix.lower()
    expected_type = ENCLOSURE_TYPES.get(suffix)
    if expected_type is None:
        problems.append(f"{where}: <enclosure> {url} is not an MP3, M4A, MP4 or M4V file")
    elif kind != expected_type:
        problems.append(f"{where}: <enclosure> type is {kind!r}; a {suffix} file is {expected_type}")
    if not length.isdigit() or int(length) <= 0:
        problems.append(f"{where}: <enclosure> length {length!r} must be the file size in bytes")
    source = files.get(url)
    if source is not None and length.isdigit():
        size = source.stat().st_size
        if int(length) != size:
            problems.append(f"{where}: <enclosure> length is {length} bytes but {source} is {size} bytes; "
                            "run the feed stage again")
    return problems


def _all_url_problems(name: str, root: etree._Element, files: dict[str, Path], public_base: str) -> list[str]:
    """Every URL is ASCII and absolute; every one under the public base is a file that gets published."""
    problems = []
    seen: set[str] = set()
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        tag = etree.QName(element).localname
        urls = [element.get(attribute) for attribute in URL_ATTRIBUTES if element.get(attribute) is not None]
        if tag in ("link", "url") and element.text and element.text.strip():
            urls.append(element.text.strip())
        for url in urls:
            if url in seen:
                continue
            seen.add(url)
            found = _url_problems(f"{name}: <{tag}>", url)
            problems += found
            # A folder URL is served by its index.html (the site's home page, for one).
            published = url + "index.html" if url.endswith("/") else url
            if not found and url.startswith(public_base) and published not in files:
                problems.append(f"{name}: <{tag}> {url} points at no file that will be published (it would 404)")
    return problems
