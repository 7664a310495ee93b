// Which backup domains a restore writes. Decision (documented, as a real device behaves from the user's view):
// `RestoreSystemFiles:false` (idevicebackup2 without --system) restores the user's data — app containers, app
// groups/plugins, HomeDomain, camera roll, media, books, health, keychain — and leaves the device's own system
// domains (RootDomain, SystemPreferencesDomain, WirelessDomain, ManagedPreferencesDomain, DatabaseDomain, …)
// untouched. `RestoreSystemFiles:true` restores every domain.
const USER_DOMAINS = new Set(['HomeDomain', 'CameraRollDomain', 'MediaDomain', 'BooksDomain', 'HealthDomain', 'KeychainDomain']);
const USER_PREFIXES = ['AppDomain-', 'AppDomainGroup-', 'AppDomainPlugin-', 'SysContainerDomain-', 'SysSharedContainerDomain-'];

export function isSystemDomain(domain: string): boolean {
  return !USER_DOMAINS.has(domain) && !USER_PREFIXES.some((p) => domain.startsWith(p));
}

export function isRestored(domain: string, restoreSystemFiles: boolean): boolean {
  return restoreSystemFiles || !isSystemDomain(domain);
}
