"""Printed documents: the certificate's and the approval form's PDF layout, the CJK font."""
