/* [dialplan] settings: which dial-plan file is loaded. */
#include "dialplan.h"

static const struct config_key dialplan_keys[] = {
	{ "file", CONFIG_PATH, 0, 0, NULL, NULL, CONFIG_F_MUST_EXIST,
	  "Dial-plan file (relative to this config file). Unset: no number "
	  "translation; calls route on the dialled digits as they are." },
	{ "default_context", CONFIG_STRING, 0, 0, NULL, "default", 0,
	  "Context used when a phone, PBX or trunk names none." },
	{ NULL },
};

const struct config_section_def dialplan_config_section = {
	.name = "dialplan",
	.help = "Dial plans: number normalisation, routing and identity rules.",
	.keys = { dialplan_keys, NULL },
};
