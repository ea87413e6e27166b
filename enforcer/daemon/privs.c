// SPDX-License-Identifier: GPL-2.0-only
/* Least privilege (privs.h). */
#include <errno.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "log.h"
#include "privs.h"

int privs_drop(void)
{
	cap_value_t c;
	cap_t none;
	int ret = 0;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		ret = -errno;
		log_warn("privs: cannot set no_new_privs");
		return ret;
	}
	/* the bounding set first: dropping from it needs CAP_SETPCAP, which goes next */
	for (c = 0; cap_valid(c); c++) {
		if (cap_drop_bound(c) && errno != EINVAL) {
			ret = -errno;
			log_warn("privs: cannot drop capability %d from the bounding set", c);
			return ret;
		}
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL) {
		ret = -errno;
		log_warn("privs: cannot clear the ambient capabilities");
		return ret;
	}
	none = cap_init();	/* every flag of every capability clear */
	if (!none)
		return -ENOMEM;
	if (cap_set_proc(none)) {
		ret = -errno;
		log_warn("privs: cannot drop capabilities");
	}
	cap_free(none);
	return ret;
}
