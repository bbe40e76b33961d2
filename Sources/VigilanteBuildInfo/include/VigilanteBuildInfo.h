#ifndef VIGILANTE_BUILD_INFO_H
#define VIGILANTE_BUILD_INFO_H

/// The size of the build stamp: scripts/build-release.sh overwrites the section with exactly this many bytes.
#define VIGILANTE_BUILD_STAMP_SIZE 256

/// The build stamp: `commit=...` and `date=...` lines, NUL-padded. A plain `swift build` leaves the
/// defaults (`unknown`); scripts/build-release.sh writes the git commit and the commit's date into the
/// linked binary's `vigilante_build` section (objcopy --update-section), so no source file or compiler
/// flag changes between commits.
const char *vigilante_build_stamp(void);

#endif
