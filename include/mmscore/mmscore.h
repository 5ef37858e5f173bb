/* mmscore — umbrella header. */
#ifndef MMSCORE_H
#define MMSCORE_H
#include "error.h"
#include "elements.h"
#include "structure.h"
#include "reader.h"
#include "plugin.h"
#define MMSCORE_VERSION "0.1.0"
#endif
