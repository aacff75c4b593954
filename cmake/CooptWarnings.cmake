# Warnings for coopt's own C sources (not for anything system-provided).
set(COOPT_C_WARNINGS
  -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes
  -Wformat=2 -Wvla -Wno-unused-parameter)
if(COOPT_WERROR)
  list(APPEND COOPT_C_WARNINGS -Werror)
endif()

function(coopt_warnings target)
  target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:C>:${COOPT_C_WARNINGS}>)
endfunction()
