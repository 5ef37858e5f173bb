/* mmscore — umbrella header. */
#ifndef MMSCORE_H
#define MMSCORE_H
#include "error.h"
#include "elements.h"
#include "structure.h"
#include "reader.h"
#include "plugin.h"
#include "mmscore/version.h" /* MMSCORE_VERSION, generated from the CMake project version */
#endif
