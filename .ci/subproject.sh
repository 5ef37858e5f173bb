#!/usr/bin/env bash
# mmscore as a subproject: a parent CMake project pulls the source tree in
# with add_subdirectory (what FetchContent does too), links mmscore::mmscore
# and runs a pipeline; mmscore's tests stay off there.
#   .ci/subproject.sh MMSCORE_SOURCE WORK_DIR [JOBS]
set -euo pipefail
root=$1 work=$2 jobs=${3:-2}
mkdir -p "$work"
cat > "$work/CMakeLists.txt" <<EOF
cmake_minimum_required(VERSION 3.20)
project(parent LANGUAGES C)
add_subdirectory("$root" mmscore)
add_executable(embed embed.c)
target_link_libraries(embed PRIVATE mmscore::mmscore)
EOF
cat > "$work/embed.c" <<'EOF'
#include <stdio.h>

#include <mmscore/host.h>
#include <mmscore/mmscore.h>

int main(void)
{
    mms_error err;
    mms_host *h;
    mms_pipeline *p;
    mms_pipeline_options opt = MMS_PIPELINE_OPTIONS_INIT;
    if (mms_host_new(&h, &err) != MMS_OK || mms_pipeline_new(&p, h, &opt, &err) != MMS_OK) {
        fprintf(stderr, "embed: %s\n", err.message);
        return 1;
    }
    mms_pipeline_free(p);
    mms_host_free(h);
    printf("embedded mmscore %s, plugin ABI %u\n", MMSCORE_VERSION, MMS_PLUGIN_ABI_VERSION);
    return 0;
}
EOF
cmake -S "$work" -B "$work/build" -DMMSCORE_WERROR=ON > /dev/null
cmake --build "$work/build" -j "$jobs" > /dev/null
"$work/build/embed"
if [ -e "$work/build/mmscore/tests" ]; then
  echo "subproject: mmscore's tests were configured inside a parent project" >&2; exit 1
fi
