; Workbench installer for Windows (amd64), built by scripts/package.sh windows:
;   makensis -DVERSION=0.1.0 -DVERSION4=0.1.0.0 -DSRCDIR=build\windows -DOUTFILE=dist\...exe workbench.nsi
; It installs for all users (Program Files, needs admin) or for the current
; user only (%LOCALAPPDATA%\Programs, no admin): the installer asks, or
; /AllUsers or /CurrentUser on its command line picks; /S is silent.
; The uninstaller removes what this installed (the program, the Start-menu
; entry, the .wbproj association, the Apps & features entry); the user's
; projects and the app's settings in %APPDATA%\fyne are theirs and stay.

Target amd64-unicode ; a 64-bit installer for a 64-bit app (Wine without wine32 runs it too)
SetCompressor /SOLID lzma

!ifndef VERSION
  !error "define VERSION (makensis -DVERSION=x.y.z)"
!endif
!ifndef VERSION4
  !error "define VERSION4, four numbers (makensis -DVERSION4=x.y.z.b)"
!endif
!ifndef SRCDIR
  !error "define SRCDIR, the folder holding workbench.exe"
!endif
!ifndef OUTFILE
  !define OUTFILE "workbench-${VERSION}-windows-amd64-setup.exe"
!endif

!define APPNAME "Workbench"
!define PUBLISHER "Workbench developers"
!define PROGID "Workbench.Project"
!define UNINSTKEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\Workbench"

Name "${APPNAME} ${VERSION}"
OutFile "${OUTFILE}"

!define MULTIUSER_EXECUTIONLEVEL Highest
!define MULTIUSER_MUI
!define MULTIUSER_INSTALLMODE_COMMANDLINE
!define MULTIUSER_INSTALLMODE_INSTDIR "${APPNAME}"
!define MULTIUSER_USE_PROGRAMFILES64
!define MULTIUSER_INSTALLMODE_DEFAULT_REGISTRY_KEY "${UNINSTKEY}"
!define MULTIUSER_INSTALLMODE_DEFAULT_REGISTRY_VALUENAME "InstallMode"
!define MULTIUSER_INSTALLMODE_INSTDIR_REGISTRY_KEY "${UNINSTKEY}"
!define MULTIUSER_INSTALLMODE_INSTDIR_REGISTRY_VALUENAME "InstallLocation"
!include "MultiUser.nsh"
!include "MUI2.nsh"
!include "x64.nsh"

!define MUI_ICON "${SRCDIR}\workbench.ico"
!define MUI_UNICON "${SRCDIR}\workbench.ico"
!define MUI_FINISHPAGE_RUN "$INSTDIR\workbench.exe"

!insertmacro MUI_PAGE_WELCOME
!insertmacro MULTIUSER_PAGE_INSTALLMODE
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

VIProductVersion "${VERSION4}"
VIFileVersion "${VERSION4}"
VIAddVersionKey "ProductName" "${APPNAME}"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "FileDescription" "${APPNAME} ${VERSION} installer"
VIAddVersionKey "CompanyName" "${PUBLISHER}"
VIAddVersionKey "LegalCopyright" "${PUBLISHER}"

Function .onInit
  ${IfNot} ${RunningX64}
    MessageBox MB_ICONSTOP "Workbench needs 64-bit Windows." /SD IDOK
    Abort
  ${EndIf}
  !insertmacro MULTIUSER_INIT
FunctionEnd

Function un.onInit
  !insertmacro MULTIUSER_UNINIT
FunctionEnd

Section "Workbench" SecMain
  SectionIn RO
  SetOutPath "$INSTDIR"
  File "${SRCDIR}\workbench.exe"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  CreateShortcut "$SMPROGRAMS\${APPNAME}.lnk" "$INSTDIR\workbench.exe" "" "$INSTDIR\workbench.exe" 0

  ; .wbproj opens in Workbench (`workbench open FILE`).
  WriteRegStr SHCTX "Software\Classes\.wbproj" "" "${PROGID}"
  WriteRegStr SHCTX "Software\Classes\.wbproj" "Content Type" "application/x-workbench-project"
  WriteRegStr SHCTX "Software\Classes\${PROGID}" "" "Workbench project"
  WriteRegStr SHCTX "Software\Classes\${PROGID}\DefaultIcon" "" "$INSTDIR\workbench.exe,0"
  WriteRegStr SHCTX "Software\Classes\${PROGID}\shell\open\command" "" '"$INSTDIR\workbench.exe" open "%1"'
  System::Call 'shell32::SHChangeNotify(i 0x08000000, i 0, p 0, p 0)'

  ; Apps & features.
  WriteRegStr SHCTX "${UNINSTKEY}" "DisplayName" "${APPNAME}"
  WriteRegStr SHCTX "${UNINSTKEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr SHCTX "${UNINSTKEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr SHCTX "${UNINSTKEY}" "DisplayIcon" "$INSTDIR\workbench.exe,0"
  WriteRegStr SHCTX "${UNINSTKEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr SHCTX "${UNINSTKEY}" "InstallMode" "$MultiUser.InstallMode"
  WriteRegStr SHCTX "${UNINSTKEY}" "UninstallString" '"$INSTDIR\uninstall.exe" /$MultiUser.InstallMode'
  WriteRegStr SHCTX "${UNINSTKEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /$MultiUser.InstallMode /S'
  WriteRegDWORD SHCTX "${UNINSTKEY}" "NoModify" 1
  WriteRegDWORD SHCTX "${UNINSTKEY}" "NoRepair" 1
  SectionGetSize ${SecMain} $0
  WriteRegDWORD SHCTX "${UNINSTKEY}" "EstimatedSize" $0
SectionEnd

Section "Uninstall"
  Delete "$INSTDIR\workbench.exe"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  Delete "$SMPROGRAMS\${APPNAME}.lnk"

  ; Take the association back only where it is still ours.
  ReadRegStr $0 SHCTX "Software\Classes\.wbproj" ""
  StrCmp $0 "${PROGID}" 0 +2
    DeleteRegKey SHCTX "Software\Classes\.wbproj"
  DeleteRegKey SHCTX "Software\Classes\${PROGID}"
  DeleteRegKey SHCTX "${UNINSTKEY}"
  System::Call 'shell32::SHChangeNotify(i 0x08000000, i 0, p 0, p 0)'
SectionEnd
