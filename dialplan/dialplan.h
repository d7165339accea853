/*
 * dialplan: dial-plan files compiled at load into an immutable structure;
 * matching is pure (DESIGN.md 6). The rules engine lands with issue 4; this
 * header already carries the module's configuration.
 */
#ifndef TRUNKD_DIALPLAN_H
#define TRUNKD_DIALPLAN_H

#include "config/config.h"

/* The [dialplan] section. */
extern const struct config_section_def dialplan_config_section;

#endif /* TRUNKD_DIALPLAN_H */
