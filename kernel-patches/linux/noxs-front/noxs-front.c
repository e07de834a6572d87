// SPDX-License-Identifier: GPL-2.0-only
/*
 * noxs-front: a Linux PV guest's noxs devices (../../xen, public/io/noxs.h), for Debian's 6.1
 * kernel, with no XenStore: the control device (the toolstack's poweroff, reboot and crash
 * requests) and the vifs (a network interface each, io/netif.h's rings, one queue, rx by copy).
 *
 * At load it asks Xen for the domain's device page (devctl get), maps it read-only over a page
 * of its own, copies it, and connects each device it finds. Devices are those of the page at
 * load: noxs has no hot plug.
 *
 * A guest with no XenStore: chaos gives a noxs guest no XenStore event channel, and Linux's
 * xenbus then waits, in a thread of its own, for a xenstored that never comes (XS_LOCAL); the
 * boot goes on. The split drivers' front ends find no device and stay idle.
 */

#include <linux/delay.h>
#include <linux/etherdevice.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/reboot.h>
#include <linux/slab.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <xen/events.h>
#include <xen/grant_table.h>
#include <xen/page.h>
#include <xen/xen.h>
#include <xen/xen-ops.h>
#include <xen/interface/event_channel.h>
#include <xen/interface/io/netif.h>
#include <xen/interface/io/xenbus.h>
#include <asm/xen/hypercall.h>
#include <asm/xen/hypervisor.h>
#include <asm/xen/page.h>

#include "noxs-public/devctl.h"

/* public/xen.h of the noxs-patched Xen (kernel-patches/xen). */
#define __HYPERVISOR_devctl 43

#define NOXS_RX_SLOTS 64
#define NOXS_TX_SLOTS 64
#define NOXS_CONNECT_WAIT (5 * HZ)

static int noxs_devctl(struct xen_devctl *op)
{
	return _hypercall1(int, devctl, op);
}

/* A page of ours over which a frame of someone else's is mapped. */
struct noxs_mapping {
	struct page *slot;
	void *addr;
	grant_handle_t handle; /* a grant's mapping; 0 for the device page */
	bool granted;
};

static int noxs_map_grant(struct noxs_mapping *m, domid_t from, grant_ref_t ref)
{
	struct gnttab_map_grant_ref op;
	int err;

	err = xen_alloc_unpopulated_pages(1, &m->slot);
	if (err)
		return err;
	m->addr = pfn_to_kaddr(page_to_xen_pfn(m->slot));
	gnttab_set_map_op(&op, (unsigned long)m->addr, GNTMAP_host_map, ref, from);
	err = gnttab_map_refs(&op, NULL, &m->slot, 1);
	if (err || op.status != GNTST_okay) {
		xen_free_unpopulated_pages(1, &m->slot);
		m->slot = NULL;
		return err ? err : -EFAULT;
	}
	m->handle = op.handle;
	m->granted = true;
	return 0;
}

static void noxs_unmap(struct noxs_mapping *m)
{
	struct gnttab_unmap_grant_ref op;

	if (!m->slot)
		return;
	if (m->granted) {
		gnttab_set_unmap_op(&op, (unsigned long)m->addr, GNTMAP_host_map, m->handle);
		if (gnttab_unmap_refs(&op, NULL, &m->slot, 1) || op.status != GNTST_okay) {
			pr_warn("noxs: cannot unmap a control page (%d)\n", op.status);
			return; /* leaked rather than reused while mapped */
		}
	} else {
		HYPERVISOR_update_va_mapping((unsigned long)m->addr, __pte_ma(0), UVMF_INVLPG);
	}
	xen_free_unpopulated_pages(1, &m->slot);
	m->slot = NULL;
}

/* Binds a back end's port; the IRQ, or an error. */
static int noxs_bind(domid_t be, evtchn_port_t remote, irq_handler_t handler,
		     const char *name, void *data)
{
	struct evtchn_bind_interdomain bind = { .remote_dom = be, .remote_port = remote };
	int err = HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &bind);

	if (err)
		return err;
	err = bind_evtchn_to_irqhandler(bind.local_port, handler, 0, name, data);
	if (err < 0) {
		struct evtchn_close close = { .port = bind.local_port };

		HYPERVISOR_event_channel_op(EVTCHNOP_close, &close);
	}
	return err;
}

/* ---- the device page ---- */

static struct noxs_mapping device_page;
static struct noxs_dev_page found;

static int noxs_read_device_page(void)
{
	struct xen_devctl op = {
		.version = XEN_DEVCTL_VERSION,
		.cmd = XEN_DEVCTL_get,
		.domain = DOMID_SELF,
	};
	const struct noxs_dev_page *page;
	u32 before, count, i;
	int err;

	err = noxs_devctl(&op);
	if (err)
		return err;
	err = xen_alloc_unpopulated_pages(1, &device_page.slot);
	if (err)
		return err;
	device_page.addr = pfn_to_kaddr(page_to_xen_pfn(device_page.slot));
	err = HYPERVISOR_update_va_mapping((unsigned long)device_page.addr,
					   mfn_pte(op.u.get.frame, PAGE_KERNEL_RO), UVMF_INVLPG);
	if (err) {
		xen_free_unpopulated_pages(1, &device_page.slot);
		device_page.slot = NULL;
		return err;
	}
	page = device_page.addr;
	/* A copy Xen was not changing: equal, even generations around it. */
	do {
		before = READ_ONCE(page->generation);
		smp_rmb();
		count = min_t(u32, READ_ONCE(page->dev_count), NOXS_DEV_COUNT_MAX);
		for (i = 0; i < count; i++)
			found.devs[i] = page->devs[i];
		found.dev_count = count;
		found.version = page->version;
		smp_rmb();
	} while ((before & 1) || READ_ONCE(page->generation) != before);
	found.generation = before;
	return 0;
}

/* ---- the control device ---- */

static struct {
	bool connected;
	struct noxs_mapping map;
	int irq;
	u32 answered;
	struct work_struct work;
} control;

static void noxs_control_work(struct work_struct *work)
{
	struct noxs_control_page *page = control.map.addr;
	u32 id = READ_ONCE(page->request_id);
	u32 request;

	if (id == control.answered)
		return;
	smp_rmb();
	request = READ_ONCE(page->request);
	control.answered = id;
	WRITE_ONCE(page->answer_id, id);
	notify_remote_via_irq(control.irq);
	switch (request) {
	case NOXS_CONTROL_POWEROFF:
		pr_info("noxs: control: poweroff\n");
		orderly_poweroff(false);
		break;
	case NOXS_CONTROL_REBOOT:
		pr_info("noxs: control: reboot\n");
		orderly_reboot();
		break;
	case NOXS_CONTROL_CRASH:
		panic("noxs: control: crash, as the toolstack asked\n");
		break;
	default:
		pr_info("noxs: control: ignoring request %u\n", request);
	}
}

static irqreturn_t noxs_control_interrupt(int irq, void *data)
{
	schedule_work(&control.work);
	return IRQ_HANDLED;
}

static int noxs_control_connect(const struct noxs_dev_entry *entry)
{
	struct noxs_control_page *page;
	int err;

	INIT_WORK(&control.work, noxs_control_work);
	err = noxs_map_grant(&control.map, entry->be_id, entry->grant);
	if (err)
		return err;
	err = noxs_bind(entry->be_id, entry->evtchn, noxs_control_interrupt, "noxs-control", NULL);
	if (err < 0) {
		noxs_unmap(&control.map);
		return err;
	}
	control.irq = err;
	page = control.map.addr;
	control.answered = READ_ONCE(page->request_id);
	page->answer_id = control.answered;
	page->features = (1U << NOXS_CONTROL_POWEROFF) | (1U << NOXS_CONTROL_REBOOT) |
		(1U << NOXS_CONTROL_CRASH);
	smp_wmb();
	WRITE_ONCE(page->hdr.fe_state, XenbusStateConnected);
	notify_remote_via_irq(control.irq);
	control.connected = true;
	return 0;
}

static void noxs_control_disconnect(void)
{
	if (!control.connected)
		return;
	WRITE_ONCE(((struct noxs_control_page *)control.map.addr)->hdr.fe_state,
		   XenbusStateClosed);
	unbind_from_irqhandler(control.irq, NULL);
	cancel_work_sync(&control.work);
	noxs_unmap(&control.map);
	control.connected = false;
}

/* ---- vifs ---- */

struct noxs_vif {
	struct list_head list;
	struct net_device *dev;
	u32 devid;
	domid_t be;

	struct noxs_mapping map; /* the vif's control page */
	int ctrl_irq;
	wait_queue_head_t answered;

	struct xen_netif_tx_front_ring tx;
	struct xen_netif_rx_front_ring rx;
	grant_ref_t tx_ring_ref, rx_ring_ref;
	evtchn_port_t port;
	int irq;
	struct napi_struct napi;

	spinlock_t tx_lock;
	unsigned long tx_free[BITS_TO_LONGS(NOXS_TX_SLOTS)];
	struct page *tx_pages[NOXS_TX_SLOTS];
	grant_ref_t tx_refs[NOXS_TX_SLOTS];
	struct page *rx_pages[NOXS_RX_SLOTS];
	grant_ref_t rx_refs[NOXS_RX_SLOTS];
};

static LIST_HEAD(noxs_vifs);

static struct noxs_vif_page *vif_page(struct noxs_vif *vif)
{
	return vif->map.addr;
}

static void noxs_post_rx(struct noxs_vif *vif, u16 id)
{
	struct xen_netif_rx_request *req = RING_GET_REQUEST(&vif->rx, vif->rx.req_prod_pvt);

	req->id = id;
	req->gref = vif->rx_refs[id];
	vif->rx.req_prod_pvt++;
}

static void noxs_reap_tx(struct noxs_vif *vif)
{
	RING_IDX cons, prod;
	int more;

	do {
		prod = vif->tx.sring->rsp_prod;
		rmb();
		for (cons = vif->tx.rsp_cons; cons != prod; cons++) {
			struct xen_netif_tx_response *rsp = RING_GET_RESPONSE(&vif->tx, cons);

			if (rsp->id < NOXS_TX_SLOTS)
				set_bit(rsp->id, vif->tx_free);
			if (rsp->status != XEN_NETIF_RSP_OKAY)
				vif->dev->stats.tx_errors++;
		}
		vif->tx.rsp_cons = prod;
		RING_FINAL_CHECK_FOR_RESPONSES(&vif->tx, more);
	} while (more);
	if (netif_queue_stopped(vif->dev) &&
	    find_first_bit(vif->tx_free, NOXS_TX_SLOTS) < NOXS_TX_SLOTS)
		netif_wake_queue(vif->dev);
}

static netdev_tx_t noxs_start_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct noxs_vif *vif = netdev_priv(dev);
	struct xen_netif_tx_request *req;
	unsigned long flags;
	unsigned int id;
	int notify;

	/* One slot a packet, its checksum filled in here (the device offers no offloads). */
	if (skb->len > XEN_PAGE_SIZE ||
	    (skb->ip_summed == CHECKSUM_PARTIAL && skb_checksum_help(skb))) {
		dev->stats.tx_dropped++;
		dev_kfree_skb_any(skb);
		return NETDEV_TX_OK;
	}
	spin_lock_irqsave(&vif->tx_lock, flags);
	noxs_reap_tx(vif);
	id = find_first_bit(vif->tx_free, NOXS_TX_SLOTS);
	if (id >= NOXS_TX_SLOTS) {
		netif_stop_queue(dev);
		spin_unlock_irqrestore(&vif->tx_lock, flags);
		return NETDEV_TX_BUSY;
	}
	clear_bit(id, vif->tx_free);
	skb_copy_bits(skb, 0, page_address(vif->tx_pages[id]), skb->len);
	req = RING_GET_REQUEST(&vif->tx, vif->tx.req_prod_pvt);
	req->gref = vif->tx_refs[id];
	req->offset = 0;
	req->flags = 0;
	req->id = id;
	req->size = skb->len;
	vif->tx.req_prod_pvt++;
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&vif->tx, notify);
	if (notify)
		notify_remote_via_irq(vif->irq);
	dev->stats.tx_packets++;
	dev->stats.tx_bytes += skb->len;
	spin_unlock_irqrestore(&vif->tx_lock, flags);
	dev_consume_skb_any(skb);
	return NETDEV_TX_OK;
}

static int noxs_poll(struct napi_struct *napi, int budget)
{
	struct noxs_vif *vif = container_of(napi, struct noxs_vif, napi);
	struct net_device *dev = vif->dev;
	unsigned long flags;
	int done = 0, more, notify;
	RING_IDX cons, prod;

	spin_lock_irqsave(&vif->tx_lock, flags);
	noxs_reap_tx(vif);
	spin_unlock_irqrestore(&vif->tx_lock, flags);

	prod = vif->rx.sring->rsp_prod;
	rmb();
	for (cons = vif->rx.rsp_cons; cons != prod && done < budget; cons++, done++) {
		struct xen_netif_rx_response *rsp = RING_GET_RESPONSE(&vif->rx, cons);
		u16 id = rsp->id < NOXS_RX_SLOTS ? rsp->id : 0;
		int len = rsp->status;
		struct sk_buff *skb;

		if (len <= ETH_HLEN || rsp->offset + len > XEN_PAGE_SIZE ||
		    (rsp->flags & (XEN_NETRXF_more_data | XEN_NETRXF_extra_info))) {
			dev->stats.rx_errors++;
		} else if (!(skb = napi_alloc_skb(napi, len))) {
			dev->stats.rx_dropped++;
		} else {
			skb_put_data(skb, page_address(vif->rx_pages[id]) + rsp->offset, len);
			skb->protocol = eth_type_trans(skb, dev);
			if (rsp->flags & XEN_NETRXF_data_validated)
				skb->ip_summed = CHECKSUM_UNNECESSARY;
			dev->stats.rx_packets++;
			dev->stats.rx_bytes += len;
			napi_gro_receive(napi, skb);
		}
		noxs_post_rx(vif, id);
	}
	vif->rx.rsp_cons = cons;
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&vif->rx, notify);
	if (notify)
		notify_remote_via_irq(vif->irq);
	if (done < budget && napi_complete_done(napi, done)) {
		RING_FINAL_CHECK_FOR_RESPONSES(&vif->rx, more);
		if (more)
			napi_schedule(napi);
	}
	return done;
}

static irqreturn_t noxs_vif_interrupt(int irq, void *data)
{
	struct noxs_vif *vif = data;

	napi_schedule(&vif->napi);
	return IRQ_HANDLED;
}

static irqreturn_t noxs_vif_ctrl_interrupt(int irq, void *data)
{
	struct noxs_vif *vif = data;

	wake_up(&vif->answered);
	return IRQ_HANDLED;
}

static int noxs_open(struct net_device *dev)
{
	struct noxs_vif *vif = netdev_priv(dev);

	napi_enable(&vif->napi);
	netif_start_queue(dev);
	napi_schedule(&vif->napi);
	return 0;
}

static int noxs_stop(struct net_device *dev)
{
	struct noxs_vif *vif = netdev_priv(dev);

	netif_stop_queue(dev);
	napi_disable(&vif->napi);
	return 0;
}

static const struct net_device_ops noxs_netdev_ops = {
	.ndo_open = noxs_open,
	.ndo_stop = noxs_stop,
	.ndo_start_xmit = noxs_start_xmit,
	.ndo_set_mac_address = eth_mac_addr,
	.ndo_validate_addr = eth_validate_addr,
};

static int noxs_grant_page(struct noxs_vif *vif, struct page **page, grant_ref_t *ref,
			   bool readonly)
{
	int err;

	*page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!*page)
		return -ENOMEM;
	err = gnttab_grant_foreign_access(vif->be, xen_page_to_gfn(*page), readonly);
	if (err < 0) {
		__free_page(*page);
		*page = NULL;
		return err;
	}
	*ref = err;
	return 0;
}

static void noxs_end_grant(struct page **page, grant_ref_t ref)
{
	if (*page)
		gnttab_end_foreign_access(ref, *page); /* frees the page once the back end let go */
	*page = NULL;
}

static void noxs_vif_free(struct noxs_vif *vif)
{
	int i;

	if (vif->map.slot) {
		WRITE_ONCE(vif_page(vif)->hdr.fe_state, XenbusStateClosing);
		if (vif->ctrl_irq > 0) {
			notify_remote_via_irq(vif->ctrl_irq);
			wait_event_timeout(vif->answered,
					   READ_ONCE(vif_page(vif)->hdr.be_state) !=
					   XenbusStateConnected, NOXS_CONNECT_WAIT);
		}
	}
	if (vif->irq > 0)
		unbind_from_irqhandler(vif->irq, vif);
	if (vif->ctrl_irq > 0)
		unbind_from_irqhandler(vif->ctrl_irq, vif);
	for (i = 0; i < NOXS_TX_SLOTS; i++)
		noxs_end_grant(&vif->tx_pages[i], vif->tx_refs[i]);
	for (i = 0; i < NOXS_RX_SLOTS; i++)
		noxs_end_grant(&vif->rx_pages[i], vif->rx_refs[i]);
	if (vif->tx.sring) {
		struct page *page = virt_to_page(vif->tx.sring);

		noxs_end_grant(&page, vif->tx_ring_ref);
	}
	if (vif->rx.sring) {
		struct page *page = virt_to_page(vif->rx.sring);

		noxs_end_grant(&page, vif->rx_ring_ref);
	}
	noxs_unmap(&vif->map);
	netif_napi_del(&vif->napi);
	free_netdev(vif->dev);
}

/* The handshake of public/io/noxs.h: rings, port and features, then Connected. */
static int noxs_vif_connect(struct noxs_vif *vif, const struct noxs_dev_entry *entry)
{
	struct evtchn_alloc_unbound alloc = { .dom = DOMID_SELF, .remote_dom = entry->be_id };
	struct noxs_vif_page *page;
	struct page *ring;
	u8 mac[ETH_ALEN];
	int err, i;

	err = noxs_map_grant(&vif->map, entry->be_id, entry->grant);
	if (err)
		return err;
	page = vif_page(vif);
	err = noxs_bind(entry->be_id, entry->evtchn, noxs_vif_ctrl_interrupt, "noxs-vif-ctrl", vif);
	if (err < 0)
		return err;
	vif->ctrl_irq = err;

	err = noxs_grant_page(vif, &ring, &vif->tx_ring_ref, false);
	if (err)
		return err;
	SHARED_RING_INIT((struct xen_netif_tx_sring *)page_address(ring));
	FRONT_RING_INIT(&vif->tx, (struct xen_netif_tx_sring *)page_address(ring), XEN_PAGE_SIZE);
	err = noxs_grant_page(vif, &ring, &vif->rx_ring_ref, false);
	if (err)
		return err;
	SHARED_RING_INIT((struct xen_netif_rx_sring *)page_address(ring));
	FRONT_RING_INIT(&vif->rx, (struct xen_netif_rx_sring *)page_address(ring), XEN_PAGE_SIZE);
	for (i = 0; i < NOXS_TX_SLOTS; i++) {
		err = noxs_grant_page(vif, &vif->tx_pages[i], &vif->tx_refs[i], true);
		if (err)
			return err;
		set_bit(i, vif->tx_free);
	}
	for (i = 0; i < NOXS_RX_SLOTS; i++) {
		err = noxs_grant_page(vif, &vif->rx_pages[i], &vif->rx_refs[i], false);
		if (err)
			return err;
		noxs_post_rx(vif, i);
	}
	RING_PUSH_REQUESTS(&vif->rx);

	err = HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &alloc);
	if (err)
		return err;
	vif->port = alloc.port;
	err = bind_evtchn_to_irqhandler(vif->port, noxs_vif_interrupt, 0, "noxs-vif", vif);
	if (err < 0)
		return err;
	vif->irq = err;

	memcpy(mac, page->mac, ETH_ALEN);
	if (!is_valid_ether_addr(mac))
		return -EADDRNOTAVAIL;
	eth_hw_addr_set(vif->dev, mac);
	if (page->mtu >= ETH_MIN_MTU && page->mtu <= ETH_DATA_LEN)
		vif->dev->mtu = page->mtu;
	page->tx_ring_ref = vif->tx_ring_ref;
	page->rx_ring_ref = vif->rx_ring_ref;
	page->evtchn = vif->port;
	page->fe_features = NOXS_VIF_F_RX_COPY | NOXS_VIF_F_RX_NOTIFY | NOXS_VIF_F_NO_CSUM_OFFLOAD;
	smp_wmb();
	WRITE_ONCE(page->hdr.fe_state, XenbusStateConnected);
	notify_remote_via_irq(vif->ctrl_irq);
	if (!wait_event_timeout(vif->answered,
				READ_ONCE(page->hdr.be_state) == XenbusStateConnected ||
				READ_ONCE(page->hdr.be_state) == XenbusStateClosed,
				NOXS_CONNECT_WAIT))
		return -ETIMEDOUT;
	if (READ_ONCE(page->hdr.be_state) != XenbusStateConnected)
		return READ_ONCE(page->error) ? READ_ONCE(page->error) : -ECONNREFUSED;
	return 0;
}

static int noxs_vif_add(const struct noxs_dev_entry *entry)
{
	struct net_device *dev = alloc_etherdev(sizeof(struct noxs_vif));
	struct noxs_vif *vif;
	int err;

	if (!dev)
		return -ENOMEM;
	vif = netdev_priv(dev);
	vif->dev = dev;
	vif->devid = entry->devid;
	vif->be = entry->be_id;
	spin_lock_init(&vif->tx_lock);
	init_waitqueue_head(&vif->answered);
	dev->netdev_ops = &noxs_netdev_ops;
	dev->min_mtu = ETH_MIN_MTU;
	dev->max_mtu = ETH_DATA_LEN;
	netif_napi_add(dev, &vif->napi, noxs_poll);

	err = noxs_vif_connect(vif, entry);
	if (!err)
		err = register_netdev(dev);
	if (err) {
		noxs_vif_free(vif);
		return err;
	}
	netif_carrier_on(dev);
	list_add_tail(&vif->list, &noxs_vifs);
	pr_info("noxs: vif %u is %s (%pM)\n", vif->devid, dev->name, dev->dev_addr);
	return 0;
}

static void noxs_cleanup(void)
{
	struct noxs_vif *vif, *next;

	list_for_each_entry_safe(vif, next, &noxs_vifs, list) {
		list_del(&vif->list);
		unregister_netdev(vif->dev);
		noxs_vif_free(vif);
	}
	noxs_control_disconnect();
	noxs_unmap(&device_page);
}

static int __init noxs_front_init(void)
{
	u32 i, vifs = 0;
	int err;

	if (!xen_pv_domain() || xen_initial_domain())
		return -ENODEV;
	err = noxs_read_device_page();
	if (err) {
		pr_info("noxs: no device page (devctl get: %d): not a noxs guest\n", err);
		return -ENODEV;
	}
	if (!found.dev_count) {
		pr_info("noxs: the device page is empty: not a noxs guest\n");
		noxs_cleanup();
		return -ENODEV;
	}
	/* The one line on XenStore (the boot did not wait for it: see the top). */
	if (!xen_start_info->store_evtchn)
		pr_info("noxs: no XenStore: xenbus waits for one in the background, the boot went on; %u devices from the device page\n",
			found.dev_count);
	else
		pr_info("noxs: %u devices from the device page\n", found.dev_count);
	for (i = 0; i < found.dev_count; i++) {
		const struct noxs_dev_entry *entry = &found.devs[i];

		if (entry->type == NOXS_DEV_CONTROL && !control.connected) {
			err = noxs_control_connect(entry);
			if (err)
				pr_warn("noxs: cannot connect the control device: %d\n", err);
		} else if (entry->type == NOXS_DEV_VIF) {
			err = noxs_vif_add(entry);
			if (err)
				pr_warn("noxs: cannot connect vif %u: %d\n", entry->devid, err);
			else
				vifs++;
		}
	}
	if (!control.connected && !vifs) {
		noxs_cleanup();
		return -ENODEV;
	}
	return 0;
}

static void __exit noxs_front_exit(void)
{
	noxs_cleanup();
}

module_init(noxs_front_init);
module_exit(noxs_front_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("noxs devices of a Xen PV guest: control and vifs, without XenStore");
