/* ck_version.h - the ckconv version: printed by --version, recorded in
 * the provenance of every checkpoint written, and read by the Makefile
 * for ckconv.pc. */
#ifndef CK_VERSION_H
#define CK_VERSION_H

#define CKCONV_VERSION "0.1.0"

#endif
