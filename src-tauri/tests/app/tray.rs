//! The tray icon as a desktop panel sees it: the app registers a StatusNotifierItem with the
//! panel's `org.kde.StatusNotifierWatcher` (a stand-in here, on the test's private session bus: no
//! panel runs under Xvfb) and exports its menu over `com.canonical.dbusmenu`, which the test reads and
//! clicks exactly as a panel would.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use tokio::runtime::Runtime;
use zbus::message::Header;
use zbus::{Connection, OwnedObjectPath, OwnedVariant, Proxy, Variant};

use crate::desktop::stand_in;
use crate::webdriver::{wait_for, Probe};

/// The StatusNotifierItems that registered: (bus name, object path).
type Registered = Arc<Mutex<Vec<(String, String)>>>;

/// Stands in for a panel's `org.kde.StatusNotifierWatcher`.
struct FakeWatcher {
    items: Registered,
}

#[zbus::interface(name = "org.kde.StatusNotifierWatcher")]
impl FakeWatcher {
    fn register_status_notifier_item(&self, service: String, #[zbus(header)] header: Header<'_>) {
        let sender = header.sender().map(ToString::to_string).unwrap_or_default();
        // The item names either its object path (the sender is its bus name) or its bus name.
        let (bus, path) = if service.starts_with('/') {
            (sender, service)
        } else {
            (service, "/StatusNotifierItem".to_owned())
        };
        self.items.lock().expect("items").push((bus, path));
    }

    fn register_status_notifier_host(&self, _service: String) {}

    #[zbus(property)]
    fn is_status_notifier_host_registered(&self) -> bool {
        true
    }

    #[zbus(property)]
    fn protocol_version(&self) -> i32 {
        0
    }

    #[zbus(property)]
    fn registered_status_notifier_items(&self) -> Vec<String> {
        let items = self.items.lock().expect("items");
        items.iter().map(|(bus, _)| bus.clone()).collect()
    }
}

/// A panel's view of the app's tray: the watcher it registered with and its menu.
pub struct Panel {
    connection: Connection,
    registered: Registered,
}

impl Panel {
    /// Starts the stand-in watcher; the app must be launched after this.
    pub fn start(rt: &Runtime) -> Result<Self> {
        let registered = Registered::default();
        let connection = stand_in(
            rt,
            "org.kde.StatusNotifierWatcher",
            "/StatusNotifierWatcher",
            FakeWatcher {
                items: Arc::clone(&registered),
            },
        )?;
        Ok(Self {
            connection,
            registered,
        })
    }

    /// The app's menu, once its item has registered.
    pub fn menu(&self, rt: &Runtime) -> Result<TrayMenu> {
        let (bus, path) = wait_for(
            "the app's StatusNotifierItem to register",
            Duration::from_secs(20),
            || {
                Ok(match self.registered.lock().expect("items").last() {
                    Some(item) => Probe::Ready(item.clone()),
                    None => Probe::Seen("nothing registered".into()),
                })
            },
        )?;
        let menu_path: OwnedObjectPath = rt.block_on(async {
            let item = Proxy::new(
                &self.connection,
                bus.as_str(),
                path.as_str(),
                "org.kde.StatusNotifierItem",
            )
            .await?;
            item.get_property("Menu").await
        })?;
        Ok(TrayMenu {
            connection: self.connection.clone(),
            bus,
            path: menu_path.to_string(),
        })
    }
}

/// The tray's menu over dbusmenu.
pub struct TrayMenu {
    connection: Connection,
    bus: String,
    path: String,
}

impl TrayMenu {
    async fn proxy(&self) -> zbus::Result<Proxy<'_>> {
        Proxy::new(
            &self.connection,
            self.bus.as_str(),
            self.path.as_str(),
            "com.canonical.dbusmenu",
        )
        .await
    }

    /// Every item's (id, label), in id order.
    pub fn labels(&self, rt: &Runtime) -> Result<Vec<(i32, String)>> {
        rt.block_on(async {
            let proxy = self.proxy().await?;
            let mut labels = Vec::new();
            // Ids are small and dense; asking each one avoids walking GetLayout's nested variants.
            for id in 1..=32 {
                let reply: zbus::Result<OwnedVariant> =
                    proxy.call("GetProperty", &(id, "label")).await;
                if let Ok(value) = reply {
                    if let Variant::Str(label) = &*value {
                        labels.push((id, label.as_str().replace('_', "")));
                    }
                }
            }
            Ok(labels)
        })
    }

    /// The label that starts with `prefix`, waiting for it to appear.
    pub fn wait_for_label(&self, rt: &Runtime, prefix: &str) -> Result<(i32, String)> {
        wait_for(
            &format!("a tray menu item starting {prefix:?}"),
            Duration::from_secs(20),
            || {
                let labels = self.labels(rt)?;
                Ok(match labels.iter().find(|(_, l)| l.starts_with(prefix)) {
                    Some(found) => Probe::Ready(found.clone()),
                    None => Probe::Seen(format!("menu: {labels:?}")),
                })
            },
        )
    }

    /// Clicks the item labelled `label`, as a panel does when the user picks it.
    pub fn click(&self, rt: &Runtime, label: &str) -> Result<()> {
        let (id, _) = self
            .labels(rt)?
            .into_iter()
            .find(|(_, l)| l == label)
            .ok_or_else(|| anyhow!("no tray menu item {label:?}"))?;
        rt.block_on(async {
            let proxy = self.proxy().await?;
            proxy
                .call_method("Event", &(id, "clicked", Variant::from(0i32), 0u32))
                .await
        })
        .with_context(|| format!("clicking {label:?}"))?;
        Ok(())
    }
}
