/* The version the Makefile passes as -DPH_VERSION, for --version and
 * the User-Agent; "unknown" in a build without it. */
#ifndef PH_VERSION_H
#define PH_VERSION_H

#ifndef PH_VERSION
#define PH_VERSION "unknown"
#endif

#endif
