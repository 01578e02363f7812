<#
.SYNOPSIS
    kenshin terminal collector: records this Windows terminal's security settings in one
    JSON file (format kenshin.terminal/1) for the hospital's security check-up (健診).

.DESCRIPTION
    端末調査用の収集スクリプトです。インストールもインターネット接続も不要で、Windows に
    標準で入っている Windows PowerShell 5.1 で動きます。設定は一切変更しません（読み取りのみ）。
    パスワードは収集しません。管理者として実行すると、BitLocker など管理者にしか読めない
    項目も記録します。読めなかった項目は、その理由とともにファイルに記録されます。

    What it reads (all read-only, language-neutral sources — it works on Japanese Windows):
      - OS: Win32_OperatingSystem and HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion
        (EditionID, DisplayVersion, UBR), Extended Security Updates licences;
      - installed updates: Get-HotFix;
      - antivirus: root\SecurityCenter2 AntiVirusProduct (productState), Microsoft Defender
        (Get-MpComputerStatus, where it exists), antivirus and device-control products in
        the uninstall registry (names and versions only);
      - USB storage control: USBSTOR Start, RemovableStorageDevices policies,
        StorageDevicePolicies\WriteProtect;
      - local accounts and the members of the local Administrators group, found by its SID
        S-1-5-32-544 (never by its localised name);
      - Remote Desktop and NLA, SMBv1, firewall profiles, BitLocker, auto-logon (whether it is
        configured and whether a password is stored — never the password itself).

    Output: one file named after the computer (e.g. EHR-GAIRAI-01.json) in -OutputDirectory,
    or the JSON on standard output with -Print. The file carries the SHA-256 of its payload so
    that kenshin notices a truncated or edited file.

.PARAMETER OutputDirectory
    Folder to write <COMPUTERNAME>.json into (default: the current folder).

.PARAMETER Print
    Print the JSON instead of writing a file (for copy and paste).

.EXAMPLE
    powershell -NoProfile -ExecutionPolicy Bypass -File .\kenshin-collect.ps1 -OutputDirectory D:\kenshin

    Where Group Policy enforces AllSigned, -ExecutionPolicy Bypass has no effect: sign this
    file with the hospital's code-signing certificate (Set-AuthenticodeSignature) or run the
    built-in commands of the user guide by hand instead. Under constrained language mode the
    script stops at once and says so.

.NOTES
    Part of kenshin (src/kenshin/terminals/collector.ps1). Format: kenshin.terminal/1, defined
    by src/kenshin/terminals/data/kenshin.terminal-1.schema.json. Each "section" block below
    fills one section of that schema; a test checks that every required field is produced.
#>
[CmdletBinding()]
param(
    [string]$OutputDirectory = '',
    [switch]$Print
)

# Windows PowerShell 5.1 is the target; 3.0 is the least this script runs on. An unpatched
# Windows 7 has only 2.0: install WMF 5.1 there, or send "systeminfo /fo csv" output instead.
if ($PSVersionTable.PSVersion.Major -lt 3) {
    Write-Host 'kenshin: PowerShell 3.0 以上が必要です（Windows 7 は WMF 5.1 を導入してください）。代わりに「systeminfo /fo csv > 端末名.csv」の出力を送ってください。'
    Write-Host 'kenshin: needs PowerShell 3.0 or later (install WMF 5.1 on Windows 7), or send the output of "systeminfo /fo csv > HOST.csv" instead.'
    exit 2
}

# Constrained language mode (AppLocker / WDAC) forbids the .NET types this script needs:
# say so and point to the built-in commands instead of failing half-way.
if ($ExecutionContext.SessionState.LanguageMode -ne 'FullLanguage') {
    Write-Host 'kenshin: この PowerShell は制約付き言語モードのため収集スクリプトを実行できません。利用者ガイド「スクリプトを実行できない端末」のコマンド（systeminfo、Get-HotFix、reg query など）の出力を送ってください。'
    Write-Host 'kenshin: PowerShell runs in constrained language mode, so the collector cannot run. Send the output of the built-in commands listed in the user guide ("Terminals where no script may run") instead.'
    exit 3
}

Set-StrictMode -Version 2
$ErrorActionPreference = 'Stop'
$CollectorVersion = '1.1'
$Schema = 'kenshin.terminal/1'

# A 32-bit PowerShell on 64-bit Windows sees a redirected registry (WOW6432Node): run the
# 64-bit one instead, with the same arguments.
if ([Environment]::Is64BitOperatingSystem -and -not [Environment]::Is64BitProcess) {
    $native = Join-Path $env:windir 'sysnative\WindowsPowerShell\v1.0\powershell.exe'
    $arguments = @('-NoProfile', '-ExecutionPolicy', 'Bypass', '-File', $MyInvocation.MyCommand.Path)
    if ($OutputDirectory) { $arguments += @('-OutputDirectory', $OutputDirectory) }
    if ($Print) { $arguments += '-Print' }
    & $native @arguments
    exit $LASTEXITCODE
}

# ---------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------

# Things that could not be read, with Windows' reason: written to collector.unreadable.
$Unreadable = New-Object System.Collections.ArrayList

function New-Map {
    # An ordered dictionary, so the JSON keeps the schema's field order.
    return New-Object System.Collections.Specialized.OrderedDictionary
}

function Add-Unreadable {
    param([string]$Item, $Problem)
    $entry = New-Map
    $entry['item'] = $Item
    $entry['reason'] = [string]$Problem
    [void]$Unreadable.Add($entry)
}

function Get-RegValue {
    # One registry value, or $null when the key or the value does not exist.
    # Access denied is not hidden: it is thrown to the section, which records it.
    param([string]$Path, [string]$Name)
    if (-not (Test-Path -LiteralPath $Path)) { return $null }
    $item = Get-ItemProperty -LiteralPath $Path
    $property = $item.PSObject.Properties[$Name]
    if ($null -eq $property) { return $null }
    return $property.Value
}

function Get-OptionalProperty {
    # A property that older Windows versions do not have (Set-StrictMode would stop on it).
    param($Object, [string]$Name)
    $property = $Object.PSObject.Properties[$Name]
    if ($null -eq $property) { return $null }
    return $property.Value
}

function ConvertTo-BoolOrNull {
    # A yes/no value, or $null when Windows gave none: [bool]$null would say "no".
    param($Value)
    if ($null -eq $Value -or '' -eq $Value) { return $null }
    return [bool]$Value
}

function ConvertTo-IntOrNull {
    param($Value)
    if ($null -eq $Value) { return $null }
    $number = 0L
    if ([Int64]::TryParse([string]$Value, [ref]$number)) { return $number }
    return $null
}

function Format-IsoDate {
    # ISO 8601 with the local offset, e.g. 2026-11-20T10:15:32+09:00 (culture independent).
    param($Value)
    if ($null -eq $Value -or '' -eq $Value) { return $null }
    $moment = $Value
    if ($moment -is [string]) {
        if ($moment -match '^\d{14}\.\d{6}[+-]\d{3}$') {
            # A WMI (CIM) datetime such as 20250408130211.000000+540.
            $moment = [System.Management.ManagementDateTimeConverter]::ToDateTime($moment)
        } else {
            $parsed = [datetime]::MinValue
            $styles = [Globalization.DateTimeStyles]::AssumeLocal
            if (-not [datetime]::TryParse($moment, [Globalization.CultureInfo]::InvariantCulture, $styles, [ref]$parsed)) {
                return $null
            }
            $moment = $parsed
        }
    }
    $moment = [datetime]$moment
    if ($moment.Kind -eq [DateTimeKind]::Utc) { $moment = $moment.ToLocalTime() }
    return $moment.ToString('yyyy-MM-ddTHH:mm:sszzz', [Globalization.CultureInfo]::InvariantCulture)
}

function ConvertTo-JsonString {
    # A JSON string literal; non-ASCII text (Japanese names) is kept as it is.
    param([string]$Text)
    $builder = New-Object System.Text.StringBuilder
    [void]$builder.Append('"')
    foreach ($char in $Text.ToCharArray()) {
        $code = [int]$char
        if ($char -eq '"') { [void]$builder.Append('\"') }
        elseif ($char -eq '\') { [void]$builder.Append('\\') }
        elseif ($code -lt 32) { [void]$builder.Append(('\u{0:x4}' -f $code)) }
        else { [void]$builder.Append($char) }
    }
    [void]$builder.Append('"')
    return $builder.ToString()
}

function ConvertTo-KenshinJson {
    # Our own small JSON writer: the same output on every PowerShell version, which
    # ConvertTo-Json does not promise (depth limits, single-item arrays unwrapped).
    param($Value)
    if ($null -eq $Value) { return 'null' }
    if ($Value -is [bool]) { if ($Value) { return 'true' } else { return 'false' } }
    if ($Value -is [int] -or $Value -is [long] -or $Value -is [uint32] -or $Value -is [int16] -or $Value -is [byte] -or $Value -is [uint16] -or $Value -is [uint64]) {
        return ([string]$Value)
    }
    if ($Value -is [double] -or $Value -is [single] -or $Value -is [decimal]) {
        return $Value.ToString([Globalization.CultureInfo]::InvariantCulture)
    }
    if ($Value -is [datetime]) { return (ConvertTo-JsonString (Format-IsoDate $Value)) }
    if ($Value -is [string] -or $Value -is [char]) { return (ConvertTo-JsonString ([string]$Value)) }
    if ($Value -is [System.Collections.IDictionary]) {
        $parts = @()
        foreach ($key in $Value.Keys) {
            $parts += ((ConvertTo-JsonString ([string]$key)) + ':' + (ConvertTo-KenshinJson $Value[$key]))
        }
        return ('{' + ($parts -join ',') + '}')
    }
    if ($Value -is [System.Collections.IEnumerable]) {
        $parts = @()
        foreach ($item in $Value) { $parts += (ConvertTo-KenshinJson $item) }
        return ('[' + ($parts -join ',') + ']')
    }
    return (ConvertTo-JsonString ([string]$Value))
}

function Get-Sha256Hex {
    param([string]$Text)
    $sha = [System.Security.Cryptography.SHA256]::Create()
    try {
        $bytes = [System.Text.Encoding]::UTF8.GetBytes($Text)
        $hash = $sha.ComputeHash($bytes)
    } finally {
        $sha.Dispose()
    }
    return (($hash | ForEach-Object { $_.ToString('x2') }) -join '')
}

# ---------------------------------------------------------------------------------------
# == section: collector ==  (source: $PSVersionTable, Get-Date, WindowsPrincipal)
# ---------------------------------------------------------------------------------------
$collector = New-Map
$collector['version'] = $CollectorVersion
$collector['collected_at'] = Format-IsoDate (Get-Date)
$collector['ps_version'] = [string]$PSVersionTable.PSVersion
$identity = [Security.Principal.WindowsIdentity]::GetCurrent()
$principal = New-Object Security.Principal.WindowsPrincipal($identity)
# IsInRole with the SID S-1-5-32-544: true only when elevated, on every display language.
$collector['is_admin'] = [bool]$principal.IsInRole([Security.Principal.SecurityIdentifier]'S-1-5-32-544')
$collector['ui_culture'] = [string][Globalization.CultureInfo]::CurrentUICulture.Name
$collector['unreadable'] = $Unreadable
# == end ==

# ---------------------------------------------------------------------------------------
# == section: host ==  (source: Get-WmiObject Win32_ComputerSystem)
# ---------------------------------------------------------------------------------------
$hostInfo = New-Map
$hostInfo['name'] = $env:COMPUTERNAME
$hostInfo['domain'] = $null
$hostInfo['part_of_domain'] = $null
$hostInfo['manufacturer'] = $null
$hostInfo['model'] = $null
$hostInfo['dns_host_name'] = $null   # the NetBIOS name above is cut at 15 characters
try {
    $computer = Get-WmiObject -Class Win32_ComputerSystem
    $hostInfo['name'] = [string]$computer.Name
    $hostInfo['domain'] = [string]$computer.Domain
    $hostInfo['part_of_domain'] = ConvertTo-BoolOrNull $computer.PartOfDomain
    $hostInfo['manufacturer'] = [string]$computer.Manufacturer
    $hostInfo['model'] = [string]$computer.Model
    $hostInfo['dns_host_name'] = Get-OptionalProperty $computer 'DNSHostName'
} catch {
    Add-Unreadable 'host' $_
}
# == end ==

# ---------------------------------------------------------------------------------------
# == section: os ==  (source: Get-WmiObject Win32_OperatingSystem,
#                     HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion)
# ---------------------------------------------------------------------------------------
$os = New-Map
$currentVersion = 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion'
$os['caption'] = ''
$os['version'] = ''
$os['build'] = 0
$os['ubr'] = $null
$os['edition_id'] = $null
$os['product_name'] = $null
$os['installation_type'] = $null
$os['product_type'] = $null       # 1 workstation, 2 domain controller, 3 server
$os['display_version'] = $null
$os['release_id'] = $null
$os['service_pack'] = $null
$os['architecture'] = $null
$os['language'] = $null             # a language ID (1041 = Japanese)
$os['install_date'] = $null
$os['last_boot'] = $null
try {
    # A broken WMI repository must not cost the whole file: the registry below still
    # names the OS, and every other section is collected as usual.
    $wmiOs = Get-WmiObject -Class Win32_OperatingSystem
    $os['caption'] = [string]$wmiOs.Caption
    $os['version'] = [string]$wmiOs.Version
    $os['build'] = [int]$wmiOs.BuildNumber
    $os['product_type'] = ConvertTo-IntOrNull $wmiOs.ProductType
    if ($wmiOs.CSDVersion) { $os['service_pack'] = [string]$wmiOs.CSDVersion }
    $os['architecture'] = [string]$wmiOs.OSArchitecture
    $os['language'] = [string]$wmiOs.OSLanguage
    $os['install_date'] = Format-IsoDate $wmiOs.InstallDate
    $os['last_boot'] = Format-IsoDate $wmiOs.LastBootUpTime
} catch {
    Add-Unreadable 'os_wmi' $_
    try {
        $os['caption'] = [string](Get-RegValue $currentVersion 'ProductName')
        $os['build'] = [int](ConvertTo-IntOrNull (Get-RegValue $currentVersion 'CurrentBuildNumber'))
        $os['version'] = [string](Get-RegValue $currentVersion 'CurrentVersion') + '.' + [string]$os['build']
    } catch {
        Add-Unreadable 'os' $_
    }
}
try {
    # UBR (the update revision) exists from Windows 10 on; DisplayVersion from 20H2 on.
    $os['ubr'] = ConvertTo-IntOrNull (Get-RegValue $currentVersion 'UBR')
    if ($null -eq $os['ubr']) { Add-Unreadable 'ubr' 'UBR value does not exist on this Windows version' }
    $os['edition_id'] = Get-RegValue $currentVersion 'EditionID'
    $os['product_name'] = Get-RegValue $currentVersion 'ProductName'
    $os['installation_type'] = Get-RegValue $currentVersion 'InstallationType'
    $os['display_version'] = Get-RegValue $currentVersion 'DisplayVersion'
    $os['release_id'] = Get-RegValue $currentVersion 'ReleaseId'
} catch {
    Add-Unreadable 'os_registry' $_
}
# == end ==

# ---------------------------------------------------------------------------------------
# == section: licensing ==  (source: Get-WmiObject SoftwareLicensingProduct)
# Extended Security Updates (ESU) arrive as licensed add-ons whose name contains "ESU".
# ---------------------------------------------------------------------------------------
$licensing = New-Map
try {
    $esu = New-Object System.Collections.ArrayList
    $query = "SELECT Name, ID, LicenseStatus FROM SoftwareLicensingProduct WHERE PartialProductKey IS NOT NULL AND Name LIKE '%ESU%'"
    foreach ($product in @(Get-WmiObject -Query $query)) {
        $entry = New-Map
        $entry['name'] = [string]$product.Name
        $entry['id'] = [string]$product.ID
        $entry['license_status'] = ConvertTo-IntOrNull $product.LicenseStatus   # 1 = licensed
        [void]$esu.Add($entry)
    }
    $licensing['esu'] = $esu
} catch {
    $licensing['esu'] = $null
    Add-Unreadable 'esu' $_
}
# == end ==

# ---------------------------------------------------------------------------------------
# == section: updates ==  (source: Get-HotFix)
# ---------------------------------------------------------------------------------------
$updates = New-Map
try {
    $hotfixes = New-Object System.Collections.ArrayList
    foreach ($fix in @(Get-HotFix)) {
        $entry = New-Map
        $entry['id'] = [string]$fix.HotFixID
        $entry['description'] = [string]$fix.Description
        $installed = $null
        try { $installed = Format-IsoDate $fix.InstalledOn } catch { $installed = $null }
        $entry['installed_on'] = $installed
        [void]$hotfixes.Add($entry)
    }
    $updates['hotfixes'] = $hotfixes
} catch {
    $updates['hotfixes'] = $null
    Add-Unreadable 'updates' $_
}
# == end ==

# ---------------------------------------------------------------------------------------
# == section: antivirus ==  (source: Get-WmiObject -Namespace root\SecurityCenter2 AntiVirusProduct,
#     Get-MpComputerStatus, HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall)
# ---------------------------------------------------------------------------------------
$antivirus = New-Map
try {
    # Security Center exists on client Windows only; Windows Server has no such namespace.
    $registered = New-Object System.Collections.ArrayList
    foreach ($product in @(Get-WmiObject -Namespace 'root\SecurityCenter2' -Class AntiVirusProduct)) {
        $entry = New-Map
        $entry['name'] = [string]$product.displayName
        $entry['product_state'] = ConvertTo-IntOrNull $product.productState
        $entry['exe_path'] = [string](Get-OptionalProperty $product 'pathToSignedProductExe')
        $entry['timestamp'] = [string](Get-OptionalProperty $product 'timestamp')   # Windows 10 and later
        [void]$registered.Add($entry)
    }
    $antivirus['security_center'] = $registered
} catch {
    $antivirus['security_center'] = $null
    Add-Unreadable 'security_center' $_
}
$antivirus['defender'] = $null
if (Get-Command -Name Get-MpComputerStatus -ErrorAction SilentlyContinue) {
    try {
        $mp = Get-MpComputerStatus
        $defender = New-Map
        $defender['am_product_version'] = [string]$mp.AMProductVersion
        $defender['am_engine_version'] = [string]$mp.AMEngineVersion
        $defender['signature_version'] = [string]$mp.AntivirusSignatureVersion
        $defender['signature_last_updated'] = Format-IsoDate $mp.AntivirusSignatureLastUpdated
        $defender['signature_age_days'] = ConvertTo-IntOrNull $mp.AntivirusSignatureAge
        $defender['antivirus_enabled'] = ConvertTo-BoolOrNull $mp.AntivirusEnabled
        $defender['am_service_enabled'] = ConvertTo-BoolOrNull $mp.AMServiceEnabled
        $defender['real_time_protection_enabled'] = ConvertTo-BoolOrNull $mp.RealTimeProtectionEnabled
        $defender['tamper_protected'] = ConvertTo-BoolOrNull (Get-OptionalProperty $mp 'IsTamperProtected')   # newer platforms only
        # Passive / EDR block mode: another product protects; Defender stands aside.
        $defender['am_running_mode'] = Get-OptionalProperty $mp 'AMRunningMode'
        $antivirus['defender'] = $defender
    } catch {
        Add-Unreadable 'defender' $_
    }
} else {
    Add-Unreadable 'defender' 'Get-MpComputerStatus is not available on this Windows version'
}
# Antivirus and USB device-control products by name (kenshin matches them precisely; here
# we keep only programs whose name or publisher suggests one, nothing else is recorded).
$productFilter = 'Trend Micro|ウイルスバスター|ESET|Symantec|Broadcom|Norton|Sophos|McAfee|Trellix|Kaspersky|CrowdStrike|Cybereason|Sentinel|FFRI|Cylance|Security Essentials|Endpoint Protection|Defender|Bitdefender|Endpoint Security Tools|WithSecure|F-Secure|Cortex XDR|Palo Alto Networks|Traps|Cisco Secure Endpoint|Cisco AMP|Immunet|Carbon ?Black|Cb Defense|Avast|AVG|SKYSEA|LanScope|LANSCOPE|MaLion|AssetView'
$installedProducts = New-Object System.Collections.ArrayList
try {
    $uninstallKeys = @(
        'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\*',
        'HKLM:\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\*'
    )
    $seen = @{}
    foreach ($keyPattern in $uninstallKeys) {
        if (-not (Test-Path -Path $keyPattern)) { continue }
        foreach ($program in @(Get-ItemProperty -Path $keyPattern -ErrorAction SilentlyContinue)) {
            $nameProperty = $program.PSObject.Properties['DisplayName']
            if ($null -eq $nameProperty -or -not $nameProperty.Value) { continue }
            $name = [string]$nameProperty.Value
            $publisher = ''
            if ($program.PSObject.Properties['Publisher']) { $publisher = [string]$program.Publisher }
            if (($name + ' ' + $publisher) -notmatch $productFilter) { continue }
            $version = $null
            if ($program.PSObject.Properties['DisplayVersion']) { $version = [string]$program.DisplayVersion }
            if ($seen.ContainsKey($name + '|' + $version)) { continue }
            $seen[$name + '|' + $version] = $true
            $entry = New-Map
            $entry['name'] = $name
            $entry['version'] = $version
            $entry['publisher'] = $publisher
            [void]$installedProducts.Add($entry)
        }
    }
} catch {
    Add-Unreadable 'installed_products' $_
}
$antivirus['installed_products'] = $installedProducts
# == end ==

# ---------------------------------------------------------------------------------------
# == section: usb ==  (source: HKLM:\SYSTEM\CurrentControlSet\Services\USBSTOR,
#     HKLM:\SYSTEM\CurrentControlSet\Services\UASPStor (USB Attached SCSI disks bypass USBSTOR),
#     HKLM:\SOFTWARE\Policies\Microsoft\Windows\DeviceInstall\Restrictions,
#     HKLM:\SOFTWARE\Policies\Microsoft\Windows\RemovableStorageDevices,
#     HKCU:\SOFTWARE\Policies\Microsoft\Windows\RemovableStorageDevices,
#     HKLM:\SYSTEM\CurrentControlSet\Control\StorageDevicePolicies)
# ---------------------------------------------------------------------------------------
function Get-RemovablePolicy {
    # The "Removable Storage Access" Group Policy values under one policy root:
    # Deny_All (all classes), removable disks {53f5630d-...} and WPD devices (two class GUIDs).
    param([string]$Root)
    $policy = New-Map
    $policy['deny_all'] = ConvertTo-IntOrNull (Get-RegValue $Root 'Deny_All')
    $disk = New-Map
    $diskKey = Join-Path $Root '{53f5630d-b6bf-11d0-94f2-00a0c91efb8b}'
    $disk['deny_read'] = ConvertTo-IntOrNull (Get-RegValue $diskKey 'Deny_Read')
    $disk['deny_write'] = ConvertTo-IntOrNull (Get-RegValue $diskKey 'Deny_Write')
    $policy['disk'] = $disk
    $wpd = New-Map
    $wpd['deny_read'] = $null
    $wpd['deny_write'] = $null
    foreach ($guid in @('{6AC27878-A6FA-4155-BA85-F98F491D4F33}', '{F33FDC04-D1AC-4E8E-9A30-19BBD4B108AE}')) {
        $wpdKey = Join-Path $Root $guid
        foreach ($valueName in @('Deny_Read', 'Deny_Write')) {
            $value = ConvertTo-IntOrNull (Get-RegValue $wpdKey $valueName)
            $field = $valueName.ToLowerInvariant()
            if ($null -ne $value -and ($null -eq $wpd[$field] -or $value -gt $wpd[$field])) {
                $wpd[$field] = $value
            }
        }
    }
    $policy['wpd'] = $wpd
    return $policy
}
function Get-EmptyRemovablePolicy {
    $policy = New-Map
    $policy['deny_all'] = $null
    foreach ($class in @('disk', 'wpd')) {
        $pair = New-Map
        $pair['deny_read'] = $null
        $pair['deny_write'] = $null
        $policy[$class] = $pair
    }
    return $policy
}
$usb = New-Map
try {
    $usb['usbstor_start'] = ConvertTo-IntOrNull (Get-RegValue 'HKLM:\SYSTEM\CurrentControlSet\Services\USBSTOR' 'Start')
    $usb['machine_policy'] = Get-RemovablePolicy 'HKLM:\SOFTWARE\Policies\Microsoft\Windows\RemovableStorageDevices'
    $usb['user_policy'] = Get-RemovablePolicy 'HKCU:\SOFTWARE\Policies\Microsoft\Windows\RemovableStorageDevices'
    $usb['write_protect'] = ConvertTo-IntOrNull (Get-RegValue 'HKLM:\SYSTEM\CurrentControlSet\Control\StorageDevicePolicies' 'WriteProtect')
    $usb['uaspstor_start'] = ConvertTo-IntOrNull (Get-RegValue 'HKLM:\SYSTEM\CurrentControlSet\Services\UASPStor' 'Start')
    $restrictionsKey = 'HKLM:\SOFTWARE\Policies\Microsoft\Windows\DeviceInstall\Restrictions'
    $restrictions = New-Map
    $restrictions['deny_removable_devices'] = ConvertTo-IntOrNull (Get-RegValue $restrictionsKey 'DenyRemovableDevices')
    $restrictions['deny_unspecified'] = ConvertTo-IntOrNull (Get-RegValue $restrictionsKey 'DenyUnspecified')
    $restrictions['deny_device_classes'] = ConvertTo-IntOrNull (Get-RegValue $restrictionsKey 'DenyDeviceClasses')
    $restrictions['deny_device_ids'] = ConvertTo-IntOrNull (Get-RegValue $restrictionsKey 'DenyDeviceIDs')
    # The lists are values named 1, 2, ... under the subkeys of the same names.
    foreach ($list in @(@('denied_classes', 'DenyDeviceClasses'), @('denied_ids', 'DenyDeviceIDs'))) {
        $values = New-Object System.Collections.ArrayList
        $listKey = Join-Path $restrictionsKey $list[1]
        if (Test-Path -LiteralPath $listKey) {
            $item = Get-Item -LiteralPath $listKey
            foreach ($valueName in $item.GetValueNames()) { [void]$values.Add([string]$item.GetValue($valueName)) }
        }
        $restrictions[$list[0]] = $values
    }
    $usb['install_restrictions'] = $restrictions
} catch {
    # Keep the file valid; kenshin treats the whole section as unreadable (see collector.unreadable).
    if (-not $usb.Contains('usbstor_start')) { $usb['usbstor_start'] = $null }
    if (-not $usb.Contains('machine_policy')) { $usb['machine_policy'] = Get-EmptyRemovablePolicy }
    if (-not $usb.Contains('user_policy')) { $usb['user_policy'] = Get-EmptyRemovablePolicy }
    if (-not $usb.Contains('write_protect')) { $usb['write_protect'] = $null }
    if (-not $usb.Contains('uaspstor_start')) { $usb['uaspstor_start'] = $null }
    $usb['install_restrictions'] = $null
    Add-Unreadable 'usb' $_
}
# == end ==

# ---------------------------------------------------------------------------------------
# == section: accounts ==  (source: Get-WmiObject Win32_UserAccount, S-1-5-32-544, [ADSI])
# The Administrators group is found by its well-known SID, so this works whatever the
# display language calls it. Names only: no passwords, no hashes.
# ---------------------------------------------------------------------------------------
$accounts = New-Map
try {
    $users = New-Object System.Collections.ArrayList
    foreach ($account in @(Get-WmiObject -Class Win32_UserAccount -Filter 'LocalAccount=True')) {
        $entry = New-Map
        $entry['name'] = [string]$account.Name
        $entry['sid'] = [string]$account.SID
        $entry['enabled'] = $null
        if ($null -ne $account.Disabled) { $entry['enabled'] = -not [bool]$account.Disabled }
        $entry['password_required'] = ConvertTo-BoolOrNull $account.PasswordRequired
        [void]$users.Add($entry)
    }
    $accounts['local_users'] = $users
} catch {
    $accounts['local_users'] = $null
    Add-Unreadable 'local_users' $_
}
try {
    $adminsSid = New-Object Security.Principal.SecurityIdentifier('S-1-5-32-544')
    $adminsName = $adminsSid.Translate([Security.Principal.NTAccount]).Value.Split('\')[-1]
    $group = [ADSI]('WinNT://' + $env:COMPUTERNAME + '/' + $adminsName + ',group')
    $members = New-Object System.Collections.ArrayList
    foreach ($member in @($group.psbase.Invoke('Members'))) {
        $type = $member.GetType()
        $path = [string]$type.InvokeMember('ADsPath', 'GetProperty', $null, $member, $null)
        $class = [string]$type.InvokeMember('Class', 'GetProperty', $null, $member, $null)
        $sidBytes = $type.InvokeMember('objectSid', 'GetProperty', $null, $member, $null)
        $sid = $null
        if ($sidBytes) { $sid = (New-Object Security.Principal.SecurityIdentifier($sidBytes, 0)).Value }
        # ADsPath is WinNT://DOMAIN/NAME, or WinNT://WORKGROUP/COMPUTER/NAME for local ones;
        # a deleted account shows only its SID.
        $parts = @($path -replace '^WinNT://', '' -split '/')
        $entry = New-Map
        $entry['name'] = $parts[-1]
        $entry['domain'] = ''
        if ($parts.Count -ge 2) { $entry['domain'] = $parts[-2] }
        $entry['sid'] = $sid
        $kind = 'other'
        if ($class -eq 'User') { $kind = 'user' } elseif ($class -eq 'Group') { $kind = 'group' }
        $entry['kind'] = $kind
        $entry['local'] = ($parts.Count -ge 3 -or $entry['domain'] -eq $env:COMPUTERNAME)
        [void]$members.Add($entry)
    }
    $accounts['administrators'] = $members
} catch {
    $accounts['administrators'] = $null
    Add-Unreadable 'administrators' $_
}
# == end ==

# ---------------------------------------------------------------------------------------
# == section: rdp ==  (source: HKLM:\SYSTEM\CurrentControlSet\Control\Terminal Server,
#     HKLM:\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services)
# fDenyTSConnections 0 = Remote Desktop allowed; UserAuthentication 1 = NLA required.
# ---------------------------------------------------------------------------------------
$rdp = New-Map
$terminalServer = 'HKLM:\SYSTEM\CurrentControlSet\Control\Terminal Server'
$terminalPolicy = 'HKLM:\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services'
try {
    $rdp['deny_connections'] = ConvertTo-IntOrNull (Get-RegValue $terminalServer 'fDenyTSConnections')
    $rdp['user_authentication'] = ConvertTo-IntOrNull (Get-RegValue ($terminalServer + '\WinStations\RDP-Tcp') 'UserAuthentication')
    $rdp['policy_deny_connections'] = ConvertTo-IntOrNull (Get-RegValue $terminalPolicy 'fDenyTSConnections')
    $rdp['policy_user_authentication'] = ConvertTo-IntOrNull (Get-RegValue $terminalPolicy 'UserAuthentication')
} catch {
    foreach ($field in @('deny_connections', 'user_authentication', 'policy_deny_connections', 'policy_user_authentication')) {
        if (-not $rdp.Contains($field)) { $rdp[$field] = $null }
    }
    Add-Unreadable 'rdp' $_
}
# == end ==

# ---------------------------------------------------------------------------------------
# == section: smb1 ==  (source: HKLM:\SYSTEM\CurrentControlSet\Services\LanmanServer\Parameters,
#     HKLM:\SYSTEM\CurrentControlSet\Services\mrxsmb10, Get-WmiObject Win32_OptionalFeature)
# ---------------------------------------------------------------------------------------
$smb1 = New-Map
$smb1['server_smb1'] = $null
$smb1['client_driver_start'] = $null
$smb1['feature_state'] = $null
try {
    $smb1['server_smb1'] = ConvertTo-IntOrNull (Get-RegValue 'HKLM:\SYSTEM\CurrentControlSet\Services\LanmanServer\Parameters' 'SMB1')
    $smb1['client_driver_start'] = ConvertTo-IntOrNull (Get-RegValue 'HKLM:\SYSTEM\CurrentControlSet\Services\mrxsmb10' 'Start')
    # InstallState: 1 enabled, 2 disabled, 3 absent. The feature exists from Windows 8.1 on.
    $feature = Get-WmiObject -Class Win32_OptionalFeature -Filter "Name='SMB1Protocol'"
    if ($feature) { $smb1['feature_state'] = ConvertTo-IntOrNull $feature.InstallState }
} catch {
    Add-Unreadable 'smb1' $_
}
# == end ==

# ---------------------------------------------------------------------------------------
# == section: firewall ==  (source: HKLM:\SYSTEM\CurrentControlSet\Services\SharedAccess\Parameters\FirewallPolicy,
#     HKLM:\SOFTWARE\Policies\Microsoft\WindowsFirewall)
# ---------------------------------------------------------------------------------------
$firewall = New-Map
try {
    $localPolicy = 'HKLM:\SYSTEM\CurrentControlSet\Services\SharedAccess\Parameters\FirewallPolicy'
    $groupPolicy = 'HKLM:\SOFTWARE\Policies\Microsoft\WindowsFirewall'
    $profiles = New-Object System.Collections.ArrayList
    # (profile name in kenshin, local key, Group Policy key)
    foreach ($pair in @(@('domain', 'DomainProfile', 'DomainProfile'), @('private', 'StandardProfile', 'PrivateProfile'), @('public', 'PublicProfile', 'PublicProfile'))) {
        $entry = New-Map
        $entry['name'] = $pair[0]
        $enabled = ConvertTo-IntOrNull (Get-RegValue (Join-Path $localPolicy $pair[1]) 'EnableFirewall')
        $policy = ConvertTo-IntOrNull (Get-RegValue (Join-Path $groupPolicy $pair[2]) 'EnableFirewall')
        $entry['enabled'] = $null
        if ($null -ne $enabled) { $entry['enabled'] = ($enabled -eq 1) }
        $entry['policy_enabled'] = $null
        if ($null -ne $policy) { $entry['policy_enabled'] = ($policy -eq 1) }
        [void]$profiles.Add($entry)
    }
    $firewall['profiles'] = $profiles
} catch {
    $firewall['profiles'] = $null
    Add-Unreadable 'firewall' $_
}
# == end ==

# ---------------------------------------------------------------------------------------
# == section: bitlocker ==  (source: Get-WmiObject -Namespace root\CIMV2\Security\MicrosoftVolumeEncryption Win32_EncryptableVolume)
# Readable by administrators only; ProtectionStatus 0 off, 1 on, 2 unknown.
# ---------------------------------------------------------------------------------------
$bitlocker = New-Map
try {
    $volumes = New-Object System.Collections.ArrayList
    foreach ($volume in @(Get-WmiObject -Namespace 'root\CIMV2\Security\MicrosoftVolumeEncryption' -Class Win32_EncryptableVolume)) {
        $entry = New-Map
        $entry['drive'] = [string]$volume.DriveLetter
        $entry['protection_status'] = ConvertTo-IntOrNull $volume.ProtectionStatus
        [void]$volumes.Add($entry)
    }
    $bitlocker['volumes'] = $volumes
} catch {
    $bitlocker['volumes'] = $null
    Add-Unreadable 'bitlocker' $_
}
# == end ==

# ---------------------------------------------------------------------------------------
# == section: autologon ==  (source: HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon)
# Only WHETHER a DefaultPassword value exists is recorded; its content is never read.
# ---------------------------------------------------------------------------------------
$autologon = New-Map
$autologon['auto_admin_logon'] = $null
$autologon['default_user'] = $null
$autologon['password_stored'] = $null
try {
    $winlogon = 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon'
    $flag = Get-RegValue $winlogon 'AutoAdminLogon'
    if ($null -ne $flag) { $autologon['auto_admin_logon'] = [string]$flag }
    if ([string]$flag -eq '1') { $autologon['default_user'] = Get-RegValue $winlogon 'DefaultUserName' }
    $valueNames = (Get-Item -LiteralPath $winlogon).GetValueNames()
    $autologon['password_stored'] = ($valueNames -contains 'DefaultPassword')
} catch {
    Add-Unreadable 'autologon' $_
}
# == end ==

# ---------------------------------------------------------------------------------------
# Seal and write
# ---------------------------------------------------------------------------------------
$payload = New-Map
$payload['schema'] = $Schema
$payload['collector'] = $collector
$payload['host'] = $hostInfo
$payload['os'] = $os
$payload['licensing'] = $licensing
$payload['updates'] = $updates
$payload['antivirus'] = $antivirus
$payload['usb'] = $usb
$payload['accounts'] = $accounts
$payload['rdp'] = $rdp
$payload['smb1'] = $smb1
$payload['firewall'] = $firewall
$payload['bitlocker'] = $bitlocker
$payload['autologon'] = $autologon

$payloadJson = ConvertTo-KenshinJson $payload
$envelope = New-Map
$envelope['schema'] = $Schema
$envelope['host'] = $hostInfo['name']
$envelope['collected_at'] = $collector['collected_at']
$envelope['payload_sha256'] = Get-Sha256Hex $payloadJson   # SHA-256 of the payload's UTF-8 bytes
$envelope['payload'] = $payloadJson
$document = ConvertTo-KenshinJson $envelope

if ($Print) {
    Write-Output $document
} else {
    if (-not $OutputDirectory) { $OutputDirectory = (Get-Location).Path }
    if (-not (Test-Path -LiteralPath $OutputDirectory)) {
        New-Item -ItemType Directory -Path $OutputDirectory | Out-Null
    }
    # .NET resolves relative paths against the process folder, not PowerShell's: resolve first.
    $folder = (Resolve-Path -LiteralPath $OutputDirectory).ProviderPath
    $target = Join-Path $folder ($hostInfo['name'] + '.json')
    # UTF-8 without BOM; kenshin also reads UTF-16 files (from "> file" or Out-File).
    [System.IO.File]::WriteAllText($target, $document, (New-Object System.Text.UTF8Encoding($false)))
    Write-Host ('kenshin: ' + $target + ' に保存しました / written (' + $Unreadable.Count + ' 項目は読み取れませんでした / item(s) could not be read)')
}
