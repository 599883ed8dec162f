#!/bin/sh
# Install, when they are missing: the system libraries WeasyPrint needs for PDF output (Pango) and a font;
# poppler-utils, whose pdftotext the tests use to check what a PDF says; a Java runtime (17 or later), which the
# Spark tests (pyspark, local mode) need.
# Debian/Ubuntu only; elsewhere it prints what to install and carries on (HTML and JSON output still work).
set -eu

have_pango() {
    libs=$(ldconfig -p 2>/dev/null)
    for lib in libpango-1.0.so libpangoft2-1.0.so libharfbuzz-subset.so; do
        echo "$libs" | grep -q "$lib" || return 1
    done
}
have_font() {
    [ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]
}

have_poppler() {
    command -v pdftotext >/dev/null 2>&1
}

have_java() {
    command -v java >/dev/null 2>&1 || [ -n "${JAVA_HOME:-}" ]
}

if have_pango && have_font && have_poppler && have_java; then
    exit 0
fi
packages="libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core poppler-utils"
have_java || packages="$packages default-jre-headless"  # Java 17 on Debian 12, 21 on 13: pyspark 4 runs on both
if command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" = "0" ]; then
        SUDO=""
    elif command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "PDF output needs: $packages (run apt-get install as root)" >&2
        exit 0
    fi
    echo "Installing system packages for PDF output and the tests: $packages" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $packages >/dev/null
else
    echo "PDF output needs Pango (libpango-1.0, libpangoft2-1.0) and a TrueType font; install them" \
         "with your package manager, or use --format html,json." >&2
fi
