#ifndef SEALBOOK_CSODIUM_SHIM_H
#define SEALBOOK_CSODIUM_SHIM_H
#include <sodium.h>
#endif
