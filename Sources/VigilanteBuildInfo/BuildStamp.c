#include "VigilanteBuildInfo.h"

// Its own section, so that scripts/build-release.sh can find and overwrite it after linking. `used` and
// `retain` keep it through dead-code elimination; `volatile` keeps the compiler from folding the default
// text into its readers.
__attribute__((used, retain, section("vigilante_build")))
const volatile char vigilante_build_stamp_bytes[VIGILANTE_BUILD_STAMP_SIZE] = "commit=unknown\ndate=unknown\n";

const char *vigilante_build_stamp(void) { return (const char *)vigilante_build_stamp_bytes; }
