// SPDX-License-Identifier: GPL-2.0-only
/*
 * noxs glue for Linux 6.1's xen-netback: what xenbus.c does for a vif over
 * XenStore, done over a noxs control page (io/noxs.h, noxs_vif_page).
 *
 * A toolstack makes a vif through /dev/xen/noxs-netback (noxs-netback.h):
 * netback's interface vif<domid>.<devid> is created at once, with a zeroed
 * page granted to the domain and an event channel unbound for it; the
 * toolstack puts both in the domain's device page. The guest's front end
 * writes its ring references and port in the page and sets fe_state; the
 * event wakes a work item (never work in the interrupt handler) that copies
 * what it needs from the page once, checks it, and connects or disconnects
 * netback's queue. The channel is bound with the lateeoi API: a guest that
 * floods it gets its events held back, and nothing is allocated per event.
 *
 * What the toolstack owns (MAC, MTU, rate) is kept here and only ever
 * written to the page. Nothing here reads or writes XenStore, so it works
 * with no xenstored running.
 */

#include "common.h"

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mutex.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>
#include <xen/events.h>
#include <xen/grant_table.h>
#include <xen/page.h>
#include <xen/interface/event_channel.h>
#include <xen/interface/io/xenbus.h>
#include <asm/xen/hypercall.h>

#include "noxs-public/io/noxs.h"
#include "noxs-netback.h"

/*
 * A front end that changes its state again within NOXS_CALM of the last change waits for its
 * next event to be taken: twice as long as the last wait, from NOXS_BACKOFF_MIN up to
 * NOXS_BACKOFF_MAX (its channel's EOI is delayed meanwhile, so its signals are held back).
 */
#define NOXS_CALM (HZ / 10)
#define NOXS_BACKOFF_MIN msecs_to_jiffies(10)
#define NOXS_BACKOFF_MAX HZ

/* Rings mapped per vif: one queue's tx and rx, and the control ring. */
#define NOXS_VIF_MAPS 3

struct noxs_ring_map {
	void *addr;
	struct page *page;
	grant_handle_t handle;
};

struct noxs_vif {
	struct list_head list;
	domid_t domid;
	u32 devid;

	/* netback's: be.vif is the interface; be.dev is never registered. */
	struct backend_info be;
	struct xenbus_device xendev;

	struct noxs_vif_page *page;
	grant_ref_t gref;
	evtchn_port_t port;
	int irq;
	struct work_struct work;
	struct delayed_work eoi;   /* a handshake's EOI, held back from a restless front end */
	unsigned long last_change; /* jiffies of the last connect or disconnect */
	unsigned long backoff;     /* jiffies the next EOI waits, 0 when calm */

	/* Held by the work item and by destroy and configure. */
	struct mutex lock;
	bool connected;
	bool failed;       /* a connect failed: waits for fe to leave Connected */
	bool dying;
	u32 fe_seen;

	u8 mac[ETH_ALEN];
	u16 mtu;
	unsigned long credit_bytes;
	unsigned long credit_usec;

	struct noxs_ring_map maps[NOXS_VIF_MAPS];
};

static LIST_HEAD(noxs_vifs);
static DEFINE_MUTEX(noxs_vifs_lock);
static struct miscdevice noxs_misc;

static struct noxs_vif *noxs_vif_of(struct xenvif *vif)
{
	return container_of(vif->be, struct noxs_vif, be);
}

int xenvif_noxs_map_ring(struct xenvif *vif, grant_ref_t ref, void **addr)
{
	struct noxs_vif *nv = noxs_vif_of(vif);
	struct gnttab_map_grant_ref op;
	struct noxs_ring_map *map = NULL;
	struct page *page;
	unsigned long vaddr;
	int i, err;

	for (i = 0; i < NOXS_VIF_MAPS; i++) {
		if (!nv->maps[i].addr) {
			map = &nv->maps[i];
			break;
		}
	}
	if (!map)
		return -ENOSPC;

	err = gnttab_alloc_pages(1, &page);
	if (err)
		return err;
	vaddr = (unsigned long)pfn_to_kaddr(page_to_xen_pfn(page));
	gnttab_set_map_op(&op, vaddr, GNTMAP_host_map, ref, nv->domid);
	err = gnttab_map_refs(&op, NULL, &page, 1);
	if (err || op.status != GNTST_okay) {
		pr_warn_ratelimited("noxs: vif%u.%u: cannot map grant %u of domain %u (status %d)\n",
			nv->domid, nv->devid, ref, nv->domid, op.status);
		gnttab_free_pages(1, &page);
		return err ? err : -EFAULT;
	}
	map->addr = (void *)vaddr;
	map->page = page;
	map->handle = op.handle;
	*addr = map->addr;
	return 0;
}

void xenvif_noxs_unmap_ring(struct xenvif *vif, void *addr)
{
	struct noxs_vif *nv = noxs_vif_of(vif);
	struct gnttab_unmap_grant_ref op;
	int i;

	for (i = 0; i < NOXS_VIF_MAPS; i++) {
		struct noxs_ring_map *map = &nv->maps[i];

		if (map->addr != addr)
			continue;
		gnttab_set_unmap_op(&op, (unsigned long)addr, GNTMAP_host_map,
				    map->handle);
		if (gnttab_unmap_refs(&op, NULL, &map->page, 1) ||
		    op.status != GNTST_okay)
			pr_warn("noxs: vif%u.%u: cannot unmap a ring (status %d)\n",
				nv->domid, nv->devid, op.status);
		else
			gnttab_free_pages(1, &map->page);
		memset(map, 0, sizeof(*map));
		return;
	}
}

static void noxs_be_state(struct noxs_vif *nv, u32 state)
{
	WRITE_ONCE(nv->page->hdr.be_state, state);
	notify_remote_via_irq(nv->irq);
}

/* netback's disconnect (xenbus.c's backend_disconnect, minus XenStore). */
static void noxs_vif_disconnect(struct noxs_vif *nv)
{
	struct xenvif *vif = nv->be.vif;
	unsigned int num_queues = vif->num_queues;
	unsigned int i;

	xenvif_disconnect_data(vif);
	vif->num_queues = 0;
	synchronize_net();
	xenvif_mcast_addr_list_free(vif);
	for (i = 0; i < num_queues; i++)
		xenvif_deinit_queue(&vif->queues[i]);
	vfree(vif->queues);
	vif->queues = NULL;
	xenvif_disconnect_ctrl(vif);
	nv->connected = false;
}

/* netback's connect (xenbus.c's connect), one queue, from the page. */
static int noxs_vif_connect(struct noxs_vif *nv)
{
	struct xenvif *vif = nv->be.vif;
	struct xenvif_queue *queue;
	u32 features, tx_ref, rx_ref, port;
	int err;

	/* Each field once: the guest may change them meanwhile. */
	features = READ_ONCE(nv->page->fe_features);
	tx_ref = READ_ONCE(nv->page->tx_ring_ref);
	rx_ref = READ_ONCE(nv->page->rx_ring_ref);
	port = READ_ONCE(nv->page->evtchn);

	if (!(features & NOXS_VIF_F_RX_COPY))
		return -EOPNOTSUPP;
	if (!(features & NOXS_VIF_F_RX_NOTIFY)) {
		vif->drain_timeout = msecs_to_jiffies(30);
		vif->stall_timeout = 0;
	} else {
		vif->drain_timeout = msecs_to_jiffies(rx_drain_timeout_msecs);
		vif->stall_timeout = msecs_to_jiffies(rx_stall_timeout_msecs);
	}
	vif->can_sg = !!(features & NOXS_VIF_F_SG);
	vif->gso_mask = 0;
	if (features & NOXS_VIF_F_GSO_TCPV4)
		vif->gso_mask |= GSO_BIT(TCPV4);
	if (features & NOXS_VIF_F_GSO_TCPV6)
		vif->gso_mask |= GSO_BIT(TCPV6);
	vif->ip_csum = !(features & NOXS_VIF_F_NO_CSUM_OFFLOAD);
	vif->ipv6_csum = !!(features & NOXS_VIF_F_IPV6_CSUM_OFFLOAD);
	vif->xdp_headroom = 0;
	ether_addr_copy(vif->fe_dev_addr, nv->mac);

	vif->queues = vzalloc(sizeof(struct xenvif_queue));
	if (!vif->queues)
		return -ENOMEM;
	vif->num_queues = 1;
	vif->stalled_queues = 1;
	queue = &vif->queues[0];
	queue->vif = vif;
	queue->id = 0;
	snprintf(queue->name, sizeof(queue->name), "%s-q0", vif->dev->name);
	err = xenvif_init_queue(queue);
	if (err) {
		vif->num_queues = 0;
		goto err;
	}
	queue->credit_bytes = nv->credit_bytes;
	queue->remaining_credit = nv->credit_bytes;
	queue->credit_usec = nv->credit_usec;

	err = xenvif_connect_data(queue, tx_ref, rx_ref, port, port);
	if (err) {
		xenvif_deinit_queue(queue);
		vif->num_queues = 0;
		goto err;
	}

	rtnl_lock();
	netif_set_real_num_tx_queues(vif->dev, 1);
	netif_set_real_num_rx_queues(vif->dev, 1);
	rtnl_unlock();
	xenvif_carrier_on(vif);
	netif_tx_wake_all_queues(vif->dev);
	nv->connected = true;
	return 0;

err:
	vfree(vif->queues);
	vif->queues = NULL;
	return err;
}

/* Another connect or disconnect: a front end that changes too often is slowed down. */
static void noxs_vif_changed(struct noxs_vif *nv)
{
	if (nv->last_change && time_before(jiffies, nv->last_change + NOXS_CALM))
		nv->backoff = clamp(nv->backoff * 2, NOXS_BACKOFF_MIN, NOXS_BACKOFF_MAX);
	else
		nv->backoff = 0;
	nv->last_change = jiffies;
}

static void noxs_vif_eoi(struct work_struct *work)
{
	struct noxs_vif *nv = container_of(to_delayed_work(work), struct noxs_vif, eoi);

	mutex_lock(&nv->lock);
	if (!nv->dying)
		xen_irq_lateeoi(nv->irq, 0);
	mutex_unlock(&nv->lock);
}

static void noxs_vif_work(struct work_struct *work)
{
	struct noxs_vif *nv = container_of(work, struct noxs_vif, work);
	bool spurious, changed = false;
	u32 fe;
	int err;

	mutex_lock(&nv->lock);
	if (nv->dying) {
		mutex_unlock(&nv->lock);
		return;
	}
	fe = READ_ONCE(nv->page->hdr.fe_state);
	spurious = fe == nv->fe_seen;
	nv->fe_seen = fe;

	if (fe == XenbusStateConnected) {
		if (!nv->connected && !nv->failed) {
			changed = true;
			err = noxs_vif_connect(nv);
			if (err) {
				pr_info_ratelimited("noxs: vif%u.%u: the front end's rings do not connect: %d\n",
					nv->domid, nv->devid, err);
				nv->failed = true;
				WRITE_ONCE(nv->page->error, err);
				noxs_be_state(nv, XenbusStateClosed);
			} else {
				WRITE_ONCE(nv->page->error, 0);
				noxs_be_state(nv, XenbusStateConnected);
			}
		}
	} else if (nv->connected || nv->failed) {
		changed = true;
		if (nv->connected)
			noxs_vif_disconnect(nv);
		nv->failed = false;
		noxs_be_state(nv, XenbusStateInitWait);
	}
	if (changed)
		noxs_vif_changed(nv);
	if (nv->backoff)
		schedule_delayed_work(&nv->eoi, nv->backoff);
	else
		xen_irq_lateeoi(nv->irq, spurious ? XEN_EOI_FLAG_SPURIOUS : 0);
	mutex_unlock(&nv->lock);
}

static irqreturn_t noxs_vif_interrupt(int irq, void *data)
{
	struct noxs_vif *nv = data;

	schedule_work(&nv->work);
	return IRQ_HANDLED;
}

/* Called with noxs_vifs_lock held. */
static struct noxs_vif *noxs_vif_find(domid_t domid, u32 devid)
{
	struct noxs_vif *nv;

	list_for_each_entry(nv, &noxs_vifs, list)
		if (nv->domid == domid && nv->devid == devid)
			return nv;
	return NULL;
}

static void noxs_vif_free(struct noxs_vif *nv)
{
	mutex_lock(&nv->lock);
	nv->dying = true;
	mutex_unlock(&nv->lock);
	if (nv->irq > 0)
		unbind_from_irqhandler(nv->irq, nv); /* closes the port */
	cancel_work_sync(&nv->work);
	cancel_delayed_work_sync(&nv->eoi);
	if (nv->be.vif) {
		if (nv->connected)
			noxs_vif_disconnect(nv);
		xenvif_free(nv->be.vif);
	}
	/* Freed once the guest has let go of it (at once if it never mapped it). */
	if (nv->page)
		gnttab_end_foreign_access(nv->gref, virt_to_page(nv->page));
	kfree(nv);
}

static int noxs_vif_create(struct noxs_netback_create *arg)
{
	struct evtchn_alloc_unbound alloc;
	struct xenvif *vif;
	struct noxs_vif *nv;
	unsigned long page;
	int err;

	if (arg->key.pad || arg->key.devid == NOXS_NETBACK_ALL ||
	    arg->key.domid == 0 || arg->key.domid >= DOMID_FIRST_RESERVED)
		return -EINVAL;
	nv = kzalloc(sizeof(*nv), GFP_KERNEL);
	if (!nv)
		return -ENOMEM;
	nv->domid = arg->key.domid;
	nv->devid = arg->key.devid;
	mutex_init(&nv->lock);
	INIT_WORK(&nv->work, noxs_vif_work);
	INIT_DELAYED_WORK(&nv->eoi, noxs_vif_eoi);
	nv->xendev.otherend_id = nv->domid;
	nv->xendev.nodename = "noxs";
	nv->xendev.otherend = "noxs";
	nv->be.dev = &nv->xendev;
	nv->be.state = XenbusStateInitWait;
	eth_zero_addr(nv->mac);

	page = get_zeroed_page(GFP_KERNEL);
	if (!page) {
		kfree(nv);
		return -ENOMEM;
	}
	err = gnttab_grant_foreign_access(nv->domid, virt_to_gfn((void *)page), 0);
	if (err < 0) {
		free_page(page);
		kfree(nv);
		return err;
	}
	nv->gref = err;
	nv->page = (struct noxs_vif_page *)page;
	nv->page->hdr.be_state = XenbusStateInitWait;
	nv->page->be_features = NOXS_VIF_F_RX_COPY | NOXS_VIF_F_RX_NOTIFY |
		NOXS_VIF_F_SG | NOXS_VIF_F_GSO_TCPV4 | NOXS_VIF_F_GSO_TCPV6 |
		NOXS_VIF_F_IPV6_CSUM_OFFLOAD;
	nv->page->mtu = ETH_DATA_LEN;

	alloc.dom = DOMID_SELF;
	alloc.remote_dom = nv->domid;
	err = HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &alloc);
	if (err)
		goto fail;
	nv->port = alloc.port;
	err = bind_evtchn_to_irqhandler_lateeoi(nv->port, noxs_vif_interrupt, 0,
						"noxs-vif", nv);
	if (err < 0) {
		struct evtchn_close close = { .port = nv->port };

		HYPERVISOR_event_channel_op(EVTCHNOP_close, &close);
		goto fail;
	}
	nv->irq = err;

	vif = xenvif_alloc(noxs_misc.this_device, nv->domid, nv->devid);
	if (IS_ERR(vif)) {
		err = PTR_ERR(vif);
		goto fail;
	}
	nv->be.vif = vif;
	vif->be = &nv->be;

	arg->grant = nv->gref;
	arg->evtchn = nv->port;
	strscpy(arg->ifname, vif->dev->name, sizeof(arg->ifname));
	list_add_tail(&nv->list, &noxs_vifs);
	return 0;

fail:
	noxs_vif_free(nv);
	return err;
}

static int noxs_vif_configure(const struct noxs_netback_configure *arg)
{
	struct noxs_vif *nv = noxs_vif_find(arg->key.domid, arg->key.devid);

	if (!nv)
		return -ENOENT;
	if (!is_valid_ether_addr(arg->mac))
		return -EINVAL;
	if (arg->mtu && (arg->mtu < ETH_MIN_MTU || arg->mtu > nv->be.vif->dev->max_mtu))
		return -EINVAL;
	if (!arg->credit_bytes != !arg->credit_usec)
		return -EINVAL;
	mutex_lock(&nv->lock);
	ether_addr_copy(nv->mac, arg->mac);
	nv->mtu = arg->mtu ? arg->mtu : ETH_DATA_LEN;
	nv->credit_bytes = arg->credit_bytes ? arg->credit_bytes : ULONG_MAX;
	nv->credit_usec = arg->credit_usec;
	memcpy(nv->page->mac, nv->mac, ETH_ALEN);
	WRITE_ONCE(nv->page->mtu, nv->mtu);
	mutex_unlock(&nv->lock);
	return 0;
}

/* The states from the module's own memory, never from the page's be_state (the guest's to write). */
static int noxs_vif_state(struct noxs_netback_state *arg)
{
	struct noxs_vif *nv = noxs_vif_find(arg->key.domid, arg->key.devid);

	if (!nv)
		return -ENOENT;
	mutex_lock(&nv->lock);
	arg->be_state = nv->connected ? XenbusStateConnected :
		nv->failed ? XenbusStateClosed : XenbusStateInitWait;
	arg->fe_state = nv->fe_seen;
	mutex_unlock(&nv->lock);
	return 0;
}

static int noxs_vif_destroy(const struct noxs_netback_key *key)
{
	struct noxs_vif *nv, *next;
	LIST_HEAD(gone);

	list_for_each_entry_safe(nv, next, &noxs_vifs, list) {
		if (nv->domid == key->domid &&
		    (key->devid == NOXS_NETBACK_ALL || nv->devid == key->devid))
			list_move_tail(&nv->list, &gone);
	}
	if (list_empty(&gone))
		return -ENOENT;
	list_for_each_entry_safe(nv, next, &gone, list) {
		list_del(&nv->list);
		noxs_vif_free(nv);
	}
	return 0;
}

static long noxs_vif_list(struct noxs_netback_list __user *out)
{
	struct noxs_netback_key *keys;
	struct noxs_vif *nv;
	u32 count = 0;
	long err = 0;

	keys = kvcalloc(NOXS_NETBACK_LIST_MAX, sizeof(*keys), GFP_KERNEL);
	if (!keys)
		return -ENOMEM;
	list_for_each_entry(nv, &noxs_vifs, list) {
		if (count < NOXS_NETBACK_LIST_MAX) {
			keys[count].domid = nv->domid;
			keys[count].devid = nv->devid;
		}
		count++;
	}
	if (put_user(count, &out->count) ||
	    copy_to_user(out->keys, keys,
			 min_t(u32, count, NOXS_NETBACK_LIST_MAX) * sizeof(*keys)))
		err = -EFAULT;
	kvfree(keys);
	return err;
}

static long noxs_ioctl(struct file *file, unsigned int cmd, unsigned long data)
{
	void __user *udata = (void __user *)data;
	long err;

	if (!capable(CAP_NET_ADMIN))
		return -EPERM;

	mutex_lock(&noxs_vifs_lock);
	switch (cmd) {
	case NOXS_NETBACK_CREATE: {
		struct noxs_netback_create arg;

		err = -EFAULT;
		if (copy_from_user(&arg, udata, sizeof(arg)))
			break;
		if (noxs_vif_find(arg.key.domid, arg.key.devid)) {
			err = -EEXIST;
			break;
		}
		err = noxs_vif_create(&arg);
		if (!err && copy_to_user(udata, &arg, sizeof(arg))) {
			struct noxs_netback_key key = arg.key;

			noxs_vif_destroy(&key);
			err = -EFAULT;
		}
		break;
	}
	case NOXS_NETBACK_CONFIGURE: {
		struct noxs_netback_configure arg;

		err = -EFAULT;
		if (copy_from_user(&arg, udata, sizeof(arg)))
			break;
		err = arg.key.pad ? -EINVAL : noxs_vif_configure(&arg);
		break;
	}
	case NOXS_NETBACK_DESTROY: {
		struct noxs_netback_key key;

		err = -EFAULT;
		if (copy_from_user(&key, udata, sizeof(key)))
			break;
		err = key.pad ? -EINVAL : noxs_vif_destroy(&key);
		break;
	}
	case NOXS_NETBACK_LIST:
		err = noxs_vif_list(udata);
		break;
	case NOXS_NETBACK_STATE: {
		struct noxs_netback_state arg;

		err = -EFAULT;
		if (copy_from_user(&arg, udata, sizeof(arg)))
			break;
		err = arg.key.pad ? -EINVAL : noxs_vif_state(&arg);
		if (!err && copy_to_user(udata, &arg, sizeof(arg)))
			err = -EFAULT;
		break;
	}
	default:
		err = -ENOTTY;
	}
	mutex_unlock(&noxs_vifs_lock);
	return err;
}

static const struct file_operations noxs_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = noxs_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice noxs_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "xen/noxs-netback",
	.fops = &noxs_fops,
};

/* netback.c's module init and exit call these (for xenbus.c's driver). */
int xenvif_xenbus_init(void)
{
	return misc_register(&noxs_misc);
}

void xenvif_xenbus_fini(void)
{
	struct noxs_vif *nv, *next;

	misc_deregister(&noxs_misc);
	mutex_lock(&noxs_vifs_lock);
	list_for_each_entry_safe(nv, next, &noxs_vifs, list) {
		list_del(&nv->list);
		noxs_vif_free(nv);
	}
	mutex_unlock(&noxs_vifs_lock);
}

#ifdef CONFIG_DEBUG_FS
struct dentry *xen_netback_dbg_root;
#endif
