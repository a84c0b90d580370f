#!/usr/bin/env bash
# Renders a profile report's report.html in a real headless browser, saves a screenshot and checks
# that the screenshot is not blank: enough non-white pixels overall, and enough coloured (not grey)
# pixels for the charts' bars and lines, since text and table borders alone are grey.
#
# Usage: scripts/check-report-render.sh REPORT_DIR [SCREENSHOT_PNG]
#   REPORT_DIR       a directory written by io.llt.cli.report.ReportWriter (holds report.html)
#   SCREENSHOT_PNG   where to save the screenshot (default: REPORT_DIR/report-screenshot.png)
# Environment: CHROMIUM=/path/to/browser to choose the browser (default: chromium, then
#   chromium-browser, google-chrome); MIN_NONWHITE_PERCENT (default 3) and MIN_COLOURED_PIXELS
#   (default 20000) to change the thresholds.
# Needs: a Chromium-based browser (Debian: apt-get install -y chromium) and python3 (no packages).
# Exit codes: 0 rendered and non-trivial, 1 the screenshot looks blank, 2 usage or setup error.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
  sed -n '6,8p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
if [[ ! -d "$1" ]]; then
  echo "check-report-render: $1 is not a directory" >&2
  exit 2
fi
report_dir=$(cd "$1" && pwd)
html="$report_dir/report.html"
png=${2:-"$report_dir/report-screenshot.png"}
if [[ ! -f "$html" ]]; then
  echo "check-report-render: no report.html in $report_dir" >&2
  exit 2
fi

browser=${CHROMIUM:-}
if [[ -z "$browser" ]]; then
  for candidate in chromium chromium-browser google-chrome; do
    if command -v "$candidate" >/dev/null 2>&1; then
      browser=$candidate
      break
    fi
  done
fi
if [[ -z "$browser" ]]; then
  echo "check-report-render: no chromium found; install it (apt-get install -y chromium) or set CHROMIUM" >&2
  exit 2
fi
if ! command -v python3 >/dev/null 2>&1; then
  echo "check-report-render: python3 is needed to check the screenshot" >&2
  exit 2
fi

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
rm -f "$png"
# --no-sandbox: the sandbox cannot start as root or in most containers; the page is our own file.
timeout 120 "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --user-data-dir="$profile" --no-first-run --no-default-browser-check \
  --window-size=1200,3000 --screenshot="$png" "file://$html" >"$profile/browser.log" 2>&1 || {
  echo "check-report-render: $browser failed; its output:" >&2
  cat "$profile/browser.log" >&2
  exit 2
}
if [[ ! -s "$png" ]]; then
  echo "check-report-render: $browser wrote no screenshot; its output:" >&2
  cat "$profile/browser.log" >&2
  exit 2
fi

python3 - "$png" "${MIN_NONWHITE_PERCENT:-3}" "${MIN_COLOURED_PIXELS:-20000}" <<'PY'
import struct
import sys
import zlib

path, min_nonwhite_percent, min_coloured = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
data = open(path, "rb").read()
if data[:8] != b"\x89PNG\r\n\x1a\n":
    sys.exit(f"check-report-render: {path} is not a PNG")
pos, idat, width = 8, [], None
while pos < len(data):
    (length,) = struct.unpack(">I", data[pos:pos + 4])
    kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
    pos += 12 + length
    if kind == b"IHDR":
        width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", body)
    elif kind == b"IDAT":
        idat.append(body)
    elif kind == b"IEND":
        break
channels = {2: 3, 6: 4}.get(colour_type if width else -1)
if width is None or depth != 8 or channels is None or interlace != 0:
    sys.exit(f"check-report-render: unsupported PNG (8-bit RGB/RGBA, not interlaced, expected)")
raw = zlib.decompress(b"".join(idat))
stride = width * channels
previous = bytearray(stride)
nonwhite = coloured = 0
offset = 0
for _ in range(height):
    filter_type = raw[offset]
    line = bytearray(raw[offset + 1:offset + 1 + stride])
    offset += 1 + stride
    for i in range(stride):
        left = line[i - channels] if i >= channels else 0
        up = previous[i]
        upper_left = previous[i - channels] if i >= channels else 0
        if filter_type == 1:
            line[i] = (line[i] + left) & 0xFF
        elif filter_type == 2:
            line[i] = (line[i] + up) & 0xFF
        elif filter_type == 3:
            line[i] = (line[i] + ((left + up) >> 1)) & 0xFF
        elif filter_type == 4:
            p = left + up - upper_left
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - upper_left)
            predictor = left if pa <= pb and pa <= pc else (up if pb <= pc else upper_left)
            line[i] = (line[i] + predictor) & 0xFF
        elif filter_type != 0:
            sys.exit(f"check-report-render: bad PNG filter {filter_type}")
    for i in range(0, stride, channels):
        r, g, b = line[i], line[i + 1], line[i + 2]
        if r < 240 or g < 240 or b < 240:
            nonwhite += 1
        if max(r, g, b) - min(r, g, b) > 60:
            coloured += 1
    previous = line
total = width * height
percent = 100.0 * nonwhite / total
print(f"check-report-render: {path}: {width}x{height}, {percent:.1f}% non-white pixels,"
      f" {coloured} coloured pixels")
if percent < min_nonwhite_percent or coloured < min_coloured:
    sys.exit(f"check-report-render: screenshot looks blank (need >= {min_nonwhite_percent}%"
             f" non-white and >= {min_coloured} coloured pixels)")
PY
