/* SPDX-License-Identifier: MIT */
/*
 * noxs-netback.h: the ioctls of /dev/xen/noxs-netback, by which a toolstack
 * in Dom0 makes, configures and removes the vifs of noxs guests (a netback
 * that takes its settings from a control page, io/noxs.h's noxs_vif_page,
 * instead of XenStore).
 *
 *   CREATE     a vif for (domid, devid): its interface vif<domid>.<devid>
 *              (down, on no bridge), its control page granted to the domain
 *              and an event channel unbound for it. OUT: the grant and the
 *              port, for the domain's device page (devctl add), and the
 *              interface's name. -EEXIST if the vif exists.
 *   CONFIGURE  the MAC and MTU the guest is given, and the rate limit
 *              (credit_bytes every credit_usec microseconds; 0 and 0: none).
 *              Before the guest runs: they are read when it connects.
 *   DESTROY    a vif (devid) or every vif of the domain (devid
 *              NOXS_NETBACK_ALL); -ENOENT if there is none.
 *   LIST       every vif, at most NOXS_NETBACK_LIST_MAX; count is how many
 *              there are.
 *   STATE      a vif's states (XenbusState values): the back end's, as the
 *              module holds it, and the front end's, as the module last read
 *              it from the page (the guest's word: any value).
 *
 * Every ioctl needs CAP_NET_ADMIN. The layouts have fixed widths.
 */
#ifndef NOXS_NETBACK_H
#define NOXS_NETBACK_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdint.h>
#endif
#include <linux/ioctl.h>

#define NOXS_NETBACK_ALL 0xffffffffu
#define NOXS_NETBACK_LIST_MAX 1024

struct noxs_netback_key {
	uint16_t domid;
	uint16_t pad;      /* zero */
	uint32_t devid;
};

struct noxs_netback_create {
	struct noxs_netback_key key; /* IN */
	uint32_t grant;              /* OUT: the control page's grant */
	uint32_t evtchn;             /* OUT: Dom0's port, unbound for domid */
	char ifname[16];             /* OUT: the interface's name */
};

struct noxs_netback_configure {
	struct noxs_netback_key key;
	uint8_t mac[6];
	uint16_t mtu;                /* 0: the interface's (1500) */
	uint64_t credit_bytes;
	uint64_t credit_usec;
};

struct noxs_netback_list {
	uint32_t count;              /* OUT: vifs there are */
	uint32_t pad;
	struct noxs_netback_key keys[NOXS_NETBACK_LIST_MAX]; /* OUT */
};

struct noxs_netback_state {
	struct noxs_netback_key key; /* IN */
	uint32_t be_state;           /* OUT */
	uint32_t fe_state;           /* OUT */
};

#define NOXS_NETBACK_IOC 'N'
#define NOXS_NETBACK_CREATE    _IOWR(NOXS_NETBACK_IOC, 1, struct noxs_netback_create)
#define NOXS_NETBACK_CONFIGURE _IOW(NOXS_NETBACK_IOC, 2, struct noxs_netback_configure)
#define NOXS_NETBACK_DESTROY   _IOW(NOXS_NETBACK_IOC, 3, struct noxs_netback_key)
#define NOXS_NETBACK_LIST      _IOR(NOXS_NETBACK_IOC, 4, struct noxs_netback_list)
#define NOXS_NETBACK_STATE     _IOWR(NOXS_NETBACK_IOC, 5, struct noxs_netback_state)

#endif
