# The Debian package (issue 11): scripts/build-deb.sh into ${CMAKE_BINARY_DIR}/deb,
# then its contents checked (tests/package/package_build.sh). Not in the ASan
# build: the package is built with Debian's flags, not the sanitizers.
# FIXTURES_SETUP deb: the VM tests take this .deb (FIXTURES_REQUIRED deb).
# (tests/vm/vm.cmake may define the same test: the first one wins)
if(NOT TUNNELD_SANITIZE AND NOT TEST package_build)
  add_test(NAME package_build COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/package_build.sh
    ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR}/deb)
  set_tests_properties(package_build PROPERTIES LABELS package TIMEOUT 1800
    PROCESSORS 2 FIXTURES_SETUP deb
    ENVIRONMENT "TUNNELD_STRONGSWAN_SOURCES=${TUNNELD_STRONGSWAN_DIR}/src")
endif()
